"""GPU-marked tests: run where CUDA is (benchmarks/gpu_check.py runs them on a lent GPU); skipped elsewhere,
saying why. The CPU path of the GPU check itself is tested in tests/test_gpu_check.py."""
import io

import pytest
import torch

from rnnkit.data.presets import build_config
from rnnkit.model.heads import build_model
from rnnkit.training.evaluator import autocast_dtype
from rnnkit.worker.execute import execute

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")]


def test_a_run_trains_on_the_gpu_and_records_the_device(store):
    run = store.create(build_config("recall", None, {"task": {"sequence_length": 20, "num_samples": 500},
                                                     "train": {"epochs": 2, "device": "cuda"}}))
    assert execute(run, stream=io.StringIO(), install_signals=False) == "completed"
    assert run.status()["device"].startswith("cuda")
    assert len(run.metrics("epoch")) == 2


@pytest.mark.parametrize("arch", ["lstm", "gru"])
def test_autocast_outputs_match_fp32_closely(arch):
    """The fused (cuDNN) layer under the run's autocast type gives fp32's outputs within bf16's precision."""
    from rnnkit.data.tasks import get_task

    config = build_config("recall", None, {"model": {"arch": arch, "impl": "fused"}, "task": {"num_samples": 200}})
    data = get_task("recall").load(config.task, config.train.split_seed)
    model = build_model(config.model, data.spec).cuda().eval()
    batch = next(data.train.batches(32))
    inputs = batch.inputs.cuda()
    with torch.no_grad():
        full = model(inputs, batch.lengths)
        with torch.autocast("cuda", dtype=autocast_dtype(torch.device("cuda"), True)):
            mixed = model(inputs, batch.lengths)
    assert torch.allclose(full.float(), mixed.float(), atol=5e-2, rtol=5e-2)

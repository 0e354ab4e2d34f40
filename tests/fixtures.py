"""Tiny data files in each task's real format, written by the tests (no real data needed)."""
from __future__ import annotations

import io
import random
import tarfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

NAMES = {
    "Italian": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
                "Bruno", "Gallo", "Conti", "Costa"],
    "Japanese": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi",
                 "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi"],
    "German": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
               "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter"],
}


def write_names(root: Path) -> Path:
    folder = root / "names"
    folder.mkdir(parents=True)
    for language, names in NAMES.items():
        (folder / f"{language}.txt").write_text("\n".join(names + names[:3]) + "\n",
                                                encoding="utf-8")  # with duplicates
    return root


def write_imdb(root: Path, per_class: int = 12) -> Path:
    folder = root / "imdb"
    folder.mkdir(parents=True)
    good = ["a wonderful film<br /><br />great acting", "I loved it, brilliant and moving!", "superb story, great cast"]
    bad = ["a boring film<br />terrible acting", "I hated it, awful and dull!", "worst plot, bad cast"]
    with tarfile.open(folder / "aclImdb_v1.tar.gz", "w:gz") as archive:
        for split in ("train", "test"):
            for polarity, texts in (("pos", good), ("neg", bad)):
                for review_id in range(per_class):
                    data = f"{texts[review_id % 3]} number {review_id}".encode()
                    info = tarfile.TarInfo(f"aclImdb/{split}/{polarity}/"
                                           f"{review_id}_{8 if polarity == 'pos' else 2}.txt")
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
    return root


SHOPPING = {"书籍": "这本书内容很好，作者写得精彩", "手机": "手机屏幕清晰，电池耐用", "酒店": "酒店房间干净，服务周到"}


def write_shopping(root: Path, rows_per_category: int = 15) -> Path:
    folder = root / "online_shopping"
    folder.mkdir(parents=True)
    lines = ["cat,label,review"]
    for category, review in SHOPPING.items():
        for number in range(rows_per_category):
            lines.append(f"{category},{number % 2},{review}{number}")
    lines[1] = lines[1].replace(",书籍", ",书籍").replace("这本书", "\ufeff这本书")  # the stray BOM of the real file
    lines[5] = "书籍,1,"  # the real file's one empty review
    with zipfile.ZipFile(folder / "online_shopping_10_cats.zip", "w") as archive:
        archive.writestr("online_shopping_10_cats.csv", "\n".join(lines) + "\n")
    return root


def write_jena(root: Path, start=datetime(2014, 8, 1), end=datetime(2015, 1, 20)) -> Path:
    """10-minute records in Jena's format, with a duplicate row, a short gap and a -9999 reading."""
    folder = root / "jena_climate"
    folder.mkdir(parents=True)
    header = ('"Date Time","p (mbar)","T (degC)","Tpot (K)","Tdew (degC)","rh (%)","VPmax (mbar)","VPact (mbar)",'
              '"VPdef (mbar)","sh (g/kg)","H2OC (mmol/mol)","rho (g/m**3)","wv (m/s)","max. wv (m/s)","wd (deg)"')
    rows = [header]
    time, step, index = start + timedelta(minutes=10), timedelta(minutes=10), 0
    generator = random.Random(0)
    while time < end:
        day = (time - start).total_seconds() / 86400
        temperature = (8 - day * 0.08 + 6 * np.sin(2 * np.pi * (time.hour + time.minute / 60 - 9) / 24)
                       + generator.gauss(0, 0.5))
        if index not in range(500, 505):  # a 50-minute gap
            values = [990.0, temperature, temperature + 273.15, temperature - 3, 80.0, 10 + temperature * 0.5, 8.0, 2.0,
                      5.0, 8.0, 1290 - temperature * 4, 2.0 if index != 900 else -9999.0, 3.0, 180.0]
            rows.append(time.strftime("%d.%m.%Y %H:%M:%S") + "," + ",".join(f"{v:.2f}" for v in values))
        if index == 700:
            rows.append(rows[-1])  # a duplicated timestamp
        time += step
        index += 1
    (folder / "jena_climate_2009_2016.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def write_beijing(root: Path, start=datetime(2013, 6, 1), end=datetime(2014, 2, 1)) -> Path:
    folder = root / "beijing_pm25"
    folder.mkdir(parents=True)
    rows = ["No,year,month,day,hour,pm2.5,DEWP,TEMP,PRES,cbwd,Iws,Is,Ir"]
    time, number = start, 1
    while time < end:
        temperature = 20 - (time - start).days * 0.1 + 5 * np.sin(2 * np.pi * (time.hour - 9) / 24)
        rows.append(f"{number},{time.year},{time.month},{time.day},{time.hour},NA,{temperature - 8:.0f},"
                    f"{temperature:.0f},1015,{'NW' if time.hour % 2 else 'cv'},{1.79 + time.hour},0,0")
        time += timedelta(hours=1)
        number += 1
    (folder / "PRSA_data_2010.1.1-2014.12.31.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def write_poems(root: Path, count: int = 60) -> Path:
    folder = root / "poems"
    folder.mkdir(parents=True)
    characters = "春花秋月江山風雨雲水天地人心日夜明清白青"
    generator = random.Random(0)
    lines = []
    for number in range(count):
        body = "".join("".join(generator.choice(characters) for _ in range(5)) + mark for mark in "，。，。")
        lines.append(f"題{number}:{body}")
    lines += ["no colon line", "壞:太短", "壞:有（注）的句子，不要了。", "壞:" + "長" * 90]
    (folder / "wujue-all.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root

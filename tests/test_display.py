"""User text shown as it is: no markup, no reordering, one escaping."""
from rnnkit.analysis.figures import chart_text
from rnnkit.core.display import neutralise_bidi
from rnnkit.ui.safe import plain


def test_bidirectional_controls_are_shown_as_escapes_everywhere():
    label = "gpj.\u202eexe"  # reads "exe.jpg" when displayed raw
    assert neutralise_bidi(label) == "gpj.\\u202eexe"
    for control in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c":
        assert control not in chart_text(f"a{control}b") and control not in plain(f"a{control}b")
    assert neutralise_bidi("平板 Nakamura") == "平板 Nakamura"  # ordinary text untouched


def test_chart_labels_escape_markup_once_and_leave_quotes_alone():
    assert chart_text('"great" <b>bold</b> & co') == '"great" &lt;b&gt;bold&lt;/b&gt; &amp; co'
    assert "&quot;" not in chart_text('say "hi"') and "&amp;lt;" not in chart_text("<")

"""What every picture of chainrule.viz shares: DOT text, SVG drawn by Graphviz (imported
only when asked for), saving to a file, showing itself in Jupyter."""

from __future__ import annotations

import os

__all__ = ["Picture"]

_MISSING_PACKAGE = (
    "chainrule.viz.graph(...).svg needs the graphviz package: pip install chainrule[viz] "
    "(and Graphviz's dot program: apt-get install graphviz, brew install graphviz, or "
    "https://graphviz.org/download/). Without them, .source gives the DOT text."
)
_MISSING_DOT = (
    "chainrule.viz.graph(...).svg needs Graphviz's dot program on PATH: apt-get install "
    "graphviz (or brew install graphviz, conda install graphviz); the Python side is "
    "pip install chainrule[viz]. Without it, .source gives the DOT text."
)


def _q(text: str) -> str:
    """A DOT string literal (lines joined by DOT's centred line break)."""
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{body}"'


def _graphviz():
    try:
        import graphviz
    except ImportError as e:
        raise ImportError(_MISSING_PACKAGE) from e
    return graphviz


class Picture:
    """What every drawing of chainrule.viz shares: DOT text in ``.source``, SVG drawn by
    Graphviz, saving to a file, and the picture in Jupyter."""

    @property
    def source(self) -> str:  # pragma: no cover - each picture writes its own
        raise NotImplementedError

    # ------------------------------------------------------------------ drawing
    def svg(self) -> str:
        """SVG text, drawn by Graphviz's ``dot`` (needs ``pip install chainrule[viz]``
        and the ``dot`` program)."""
        gv = _graphviz()
        try:
            data = gv.Source(self.source).pipe(format="svg")
        except gv.ExecutableNotFound as e:
            raise RuntimeError(_MISSING_DOT) from e
        return data.decode("utf-8") if isinstance(data, bytes) else data

    def save(self, path: str | os.PathLike) -> str:
        """Write the picture: ``.svg`` (drawn by Graphviz) or ``.dot``/``.gv`` (text).
        Returns the path."""
        path = os.fspath(path)
        suffix = os.path.splitext(path)[1].lower()
        if suffix == ".svg":
            text = self.svg()
        elif suffix in (".dot", ".gv"):
            text = self.source
        else:
            raise ValueError(
                f"chainrule.viz: cannot tell the format of {path!r}: name it .svg (drawn by "
                "Graphviz) or .dot (DOT text)"
            )
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def _repr_svg_(self):
        # Jupyter: the picture when Graphviz can draw it, else None (Jupyter then shows the
        # text repr); a display hook must not raise
        try:
            return self.svg()
        except Exception:
            return None

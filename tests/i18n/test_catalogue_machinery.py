"""How catalogues behave: what counts as text, and how a change in the English is caught.

A tiny course in a temporary folder: an English notebook, its catalogue filled in, then the
English edited. The edited cell's translation is reported stale, a new cell missing, and
the built notebook out of date, which is what makes CI fail on a stale translation.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mlops_course.i18n import normalise, notebook_language, set_language, tr
from mlops_course.i18n.build import build, out_of_date
from mlops_course.i18n.catalogue import Catalogue, catalogue_path, problems, unit_problem, update
from mlops_course.i18n.units import cell_units, code_units

CODE = """%matplotlib inline
# fit the model on the training window
model = fit(frame)  # NBVAL_IGNORE_OUTPUT is not text
print(f"AUC on the holdout: {auc:.3f}")
assert auc > 0.7, "the model should beat 0.7"
frame["label"] = "yes"
ax.set_title("Drift per month")


def score(frame):
    '''Return each applicant's risk.'''
    return model.predict_proba(frame)[:, 1]
"""


def test_code_units_are_comments_and_shown_strings_only() -> None:
    texts = [u.text for u in code_units(CODE)]
    assert texts == [
        "# fit the model on the training window",
        'f"AUC on the holdout: {auc:.3f}"',
        '"the model should beat 0.7"',
        '"Drift per month"',
        "'''Return each applicant's risk.'''",
    ]
    assert not any("NBVAL" in t or t == '"label"' or t == '"yes"' for t in texts)
    assert cell_units("markdown", "  \n") == [] and cell_units("raw", "x") == []


def test_a_translation_must_stay_a_literal_with_the_same_placeholders() -> None:
    unit = next(u for u in code_units(CODE) if u.text.startswith("f"))
    assert unit_problem(unit, 'f"AUC no holdout: {auc:.3f}"') is None
    assert "placeholders" in str(unit_problem(unit, 'f"AUC no holdout: {roc:.3f}"'))
    assert "kind of literal" in str(unit_problem(unit, '"AUC no holdout"'))
    assert "valid Python" in str(unit_problem(unit, 'f"AUC no holdout: {auc:.3f}'))
    comment = code_units(CODE)[0]
    assert "one line" in str(unit_problem(comment, "treina o modelo"))


def _course(tmp_path: Path) -> Path:
    notebook = new_notebook(
        cells=[new_markdown_cell("# Module\n\nA model in production."), new_code_cell(CODE)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index}"
    (tmp_path / "notebooks").mkdir()
    nbformat.write(notebook, tmp_path / "notebooks" / "01_module.ipynb")
    return tmp_path / "notebooks" / "01_module.ipynb"


PT = {
    "# Module\n\nA model in production.": "# Módulo\n\nUm modelo em produção.",
    "# fit the model on the training window": "# treina o modelo na janela de treino",
    'f"AUC on the holdout: {auc:.3f}"': 'f"AUC no holdout: {auc:.3f}"',
    '"the model should beat 0.7"': '"o modelo deveria passar de 0,7"',
    '"Drift per month"': '"Drift por mês"',
    "'''Return each applicant's risk.'''": "'''Retorna o risco de cada solicitante.'''",
}


def test_a_changed_english_cell_makes_its_translation_stale(tmp_path: Path) -> None:
    source = _course(tmp_path)
    catalogue = Catalogue.load(catalogue_path(tmp_path, "pt-BR", source), "pt-BR", "notebooks/01_module.ipynb")
    assert update(catalogue, nbformat.read(source, as_version=4)) == (6, 0)
    for entries in catalogue.cells.values():
        for entry in entries:
            entry["pt"] = PT[entry["en"]]
    catalogue.save()
    assert problems(catalogue, nbformat.read(source, as_version=4)) == []
    written, blocking = build(tmp_path, "pt-BR", [source])
    built = nbformat.read(written[0], as_version=4)
    assert not blocking and written == [tmp_path / "notebooks" / "pt-BR" / "01_module.ipynb"]
    assert built.cells[0].source.startswith("# Módulo") and 'f"AUC no holdout: {auc:.3f}"' in built.cells[1].source
    assert 'frame["label"] = "yes"' in built.cells[1].source and built.metadata.mlops_course.language == "pt-BR"
    assert notebook_language(written[0]) == "pt-BR" and out_of_date(tmp_path, "pt-BR") == []

    # The author edits the English: one cell changes, one is added.
    english = nbformat.read(source, as_version=4)
    english.cells[0].source = "# Module 1\n\nA model in production."
    english.cells.append(new_markdown_cell("## Summary"))
    english.cells[-1]["id"] = "cell-2"
    nbformat.write(english, source)
    catalogue = Catalogue.load(catalogue.path, "pt-BR", "notebooks/01_module.ipynb")
    found = problems(catalogue, english)
    assert any("cell-0: missing translation of '# Module 1'" in p for p in found)
    assert any("cell-0: stale translation" in p for p in found)
    assert any("cell-2: missing translation of '## Summary'" in p for p in found)
    assert any("differs from its English source" in p for p in out_of_date(tmp_path, "pt-BR"))
    # update keeps the old translation under stale: for the translator, and check still fails.
    assert update(catalogue, english) == (2, 1)
    assert catalogue.stale["cell-0"][0]["pt"].startswith("# Módulo")
    assert any("stale translation" in p for p in problems(catalogue, english))
    assert build(tmp_path, "pt-BR", [source])[1]  # nothing half-translated is built


def test_messages_follow_the_language(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setenv("MLOPS_COURSE_LANG", "pt_BR.UTF-8")
    assert tr("check.score", score="1", total="2") == "Nota nos testes visíveis: 1 / 2"
    assert tr("check.score", "en", score="1", total="2") == "Score on visible tests: 1 / 2"
    # The notebook's metadata wins over the environment (as in JupyterLab, via JPY_SESSION_NAME).
    source = _course(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(source))
    assert tr("plot.window") == "window"
    set_language("pt-BR")
    try:
        assert tr("plot.window") == "janela"
    finally:
        set_language(None)
    assert normalise("pt") == "pt-BR"

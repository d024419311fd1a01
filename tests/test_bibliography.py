"""A study's bibliography is found wherever the study lives: beside it, its priors files and its refs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT
from mcrisk.cli.main import main
from mcrisk.spec.bibliography import bibliography, cited_sources, study_folders
from mcrisk.spec.studyfile import load_study

_MODEL = "def rent(*, gpu_hour_price):\n    return {'cost': gpu_hour_price}\n"
_REF = "h100_china_gpu_hour_price_cny"


def _library() -> dict[str, str]:
    text = (ROOT / "priors" / "SOURCES.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^- \*\*\[([^\]]+)\]\*\*\s+(\S.*)$", text, re.M))


def _study(folder: Path, ref: str, source: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "m.py").write_text(_MODEL)
    extra = f'\nsource = "{source}"' if source else ""
    (folder / "s.toml").write_text(f'title = "rent"\nmodel = "m.py:rent"\noutput = "cost"\ncurrency = "CNY"\n'
                                   f'samples = 50\n[inputs.gpu_hour_price]\nref = "{ref}"{extra}\n')
    return folder / "s.toml"


def test_a_study_outside_the_project_that_refs_the_library_by_an_absolute_path_cites_its_sources(tmp_path) -> None:
    study = load_study(_study(tmp_path / "elsewhere", f"{(ROOT / 'priors' / 'market-2025.toml').as_posix()}#{_REF}"))
    assert study.priors.texts == ()  # no priors file: the ref alone says where the library is
    assert (ROOT / "priors").resolve() in [f.resolve() for f in study_folders(study)]
    lib = _library()
    assert cited_sources(study.priors, study_folders(study)) == [("MIT-TR", lib["MIT-TR"]), ("cnbeta", lib["cnbeta"])]
    # beside the study alone, as before: not found
    assert cited_sources(study.priors, [study.path.parent]) == [("MIT-TR", "(not in the bibliography)"),
                                                                ("cnbeta", "(not in the bibliography)")]


def test_a_relative_ref_finds_the_bibliography_beside_the_referenced_file(tmp_path) -> None:
    lib = tmp_path / "project" / "priors"
    lib.mkdir(parents=True)
    (lib / "market.toml").write_text((ROOT / "priors" / "market-2025.toml").read_text(encoding="utf-8"))
    (lib / "SOURCES.md").write_text("- **[MIT-TR]** the magazine\n- **[cnbeta]** the site\n")
    study = load_study(_study(tmp_path / "project" / "studies" / "deep", f"../../priors/market.toml#{_REF}"))
    assert cited_sources(study.priors, study_folders(study)) == [("MIT-TR", "the magazine"), ("cnbeta", "the site")]


def test_the_nearest_sources_md_above_a_folder_is_its_bibliography(tmp_path) -> None:
    (tmp_path / "SOURCES.md").write_text("- **[own]** a note of my own\n")
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "SOURCES.md").write_text("- **[near]** the nearer one\n")
    assert bibliography([tmp_path / "a" / "b"]) == {"near": "the nearer one"}  # the nearest only
    study = load_study(_study(tmp_path / "a" / "b", f"{(ROOT / 'priors' / 'market-2025.toml').as_posix()}#{_REF}",
                              source="my reading [own] of [near]"))
    assert cited_sources(study.priors, study_folders(study)) == [("own", "(not in the bibliography)"),
                                                                 ("near", "the nearer one")]


def test_mcrisk_check_of_such_a_study_warns_of_nothing(tmp_path, capsys) -> None:
    path = _study(tmp_path / "x", f"{(ROOT / 'priors' / 'market-2025.toml').as_posix()}#{_REF}")
    assert main(["check", "--strict", str(path)]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (f"{path}: study ok (m.py:rent, 1 inputs, 1 uncertain)\n", "")


@pytest.mark.parametrize("writer", ["deck", "workbook"])
def test_the_deck_and_the_workbook_list_the_referenced_sources(tmp_path, writer) -> None:
    pptx = pytest.importorskip("pptx")
    openpyxl = pytest.importorskip("openpyxl")
    from mcrisk.study.runner import run_study

    path = _study(tmp_path / "x", f"{(ROOT / 'priors' / 'market-2025.toml').as_posix()}#{_REF}")
    fmt = {"deck": "pptx", "workbook": "xlsx"}[writer]
    run = run_study(path, out=tmp_path / "out", formats=(fmt,))
    lib = _library()
    if writer == "deck":
        prs = pptx.Presentation(str(run.out / "deck.pptx"))
        (slide,) = [s for s in prs.slides if s.shapes.title is not None and s.shapes.title.text_frame.text == "Sources"]
        (table,) = [sh.table for sh in slide.shapes if sh.has_table]
        rows = [[c.text_frame.text for c in r.cells] for r in table.rows]
        assert rows == [["Key", "Citation"], ["[MIT-TR]", lib["MIT-TR"]], ["[cnbeta]", lib["cnbeta"]]]
    else:
        ws = openpyxl.load_workbook(run.out / "workbook.xlsx")["Sources"]
        assert [[c.value for c in r] for r in ws.iter_rows()] == [["Key", "Citation"], ["MIT-TR", lib["MIT-TR"]],
                                                                  ["cnbeta", lib["cnbeta"]]]
    report = (run.out / "report.md").read_text(encoding="utf-8")
    assert "(not in the bibliography)" not in report and lib["cnbeta"] in report

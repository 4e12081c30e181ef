"""analysis/SCHEMA.md lists exactly what a run writes (issue 16.4).

A real ``dcsim run`` of a small scenario that switches on every optional part of the file
(PV, wind, battery, marginal emissions from the fuel mix, an energy policy, per-rack and
per-node series, the event table), and a short request-fidelity serving run (the request
table), are opened with h5py and compared with the tables of
SCHEMA.md's "Run file" section:

- every variable in the file has a row (site series, per-entity series, job and event tables,
  coordinates), with the same ``units`` and type, and every row names a variable in the file;
- the root attributes are those of the root-attribute table (with their types), the
  ``summary_*`` names of "Summary attributes written by dcsim 0.1", exactly, and the
  ``trace_report_<i>`` lines.

The tables are parsed, never restated here: change SCHEMA.md, not this test, when the file
changes (and bump the schema version as SCHEMA.md says).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import SOURCE_DIR, run_dcsim

SCHEMA = SOURCE_DIR / "analysis" / "SCHEMA.md"
EX = SOURCE_DIR / "scenarios" / "examples"
DATA = SOURCE_DIR / "scenarios" / "data"
WEATHER = DATA / "weather" / "tmyx_USA_AZ_Phoenix-Sky.Harbor.epw"

# Opens in h5py as these numpy kinds: SCHEMA.md's type column → a predicate on the dtype.
TYPES = {
    "float64": lambda dt: dt.kind == "f" and dt.itemsize == 8,
    "float32": lambda dt: dt.kind == "f" and dt.itemsize == 4,
    "int64": lambda dt: dt.kind == "i" and dt.itemsize == 8,
    "int32": lambda dt: dt.kind == "i" and dt.itemsize == 4,
    "string": lambda dt: dt.kind in ("O", "S", "U"),
}
CF_TIME = "CF time"


def run_file_section() -> str:
    text = SCHEMA.read_text()
    start = text.index("## Run file")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def tables(section: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(heading above, header cells, rows) of every Markdown table of the section."""
    out = []
    heading = ""
    lines = section.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[-| :]+\|$", lines[i + 1]):
            header = [c.strip() for c in line.strip("|").split("|")]
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append([c.strip() for c in lines[i].strip("|").split("|")])
                i += 1
            out.append((heading, header, rows))
            continue
        i += 1
    return out


def names_in(cell: str) -> list[str]:
    return re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", cell)


def documented_variables() -> dict[str, dict[str, str]]:
    """{variable: {"units": …, "type": … (if the table has a type column), "table": heading}}"""
    docs: dict[str, dict[str, str]] = {}
    for heading, header, rows in tables(run_file_section()):
        if header[0] != "variable":
            continue
        assert "units" in header, f"SCHEMA.md table under '{heading}' has no units column"
        ui = header.index("units")
        ti = header.index("type") if "type" in header else None
        for row in rows:
            for name in names_in(row[0]):
                assert name not in docs, f"SCHEMA.md lists {name} twice"
                docs[name] = {"units": row[ui].strip("`"), "table": heading}
                if ti is not None:
                    docs[name]["type"] = row[ti]
    return docs


def documented_root_attributes() -> dict[str, str]:
    for heading, header, rows in tables(run_file_section()):
        if header[0] == "attribute":
            out = {}
            for row in rows:
                names = names_in(row[0])
                if len(names) == 1 and "<" not in row[0]:
                    out[names[0]] = row[1]
            return out
    pytest.fail("SCHEMA.md has no root attribute table")


def documented_summary() -> set[str]:
    section = run_file_section()
    start = section.index("### Summary attributes written by dcsim")
    end = section.index("\n#", start + 1)
    para = section[start:end].split("\n", 1)[1]
    para = para.split("Provenance adds")[0]
    names = set()
    for token in re.findall(r"`([^`]+)`", para):
        if not re.fullmatch(r"[a-z0-9_]+", token) or token.endswith("_"):
            continue  # `summary_` + …, scenario keys such as `time.drain`
        names.add(token if token.startswith("summary_") else "summary_" + token)
    return names


@pytest.fixture(scope="module")
def full_run(require_binary, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("schema")
    scenario = d / "schema-check.yaml"
    scenario.write_text(f"""\
extends: {EX / 'serving-quickstart.yaml'}
name: schema-check
time: {{start: 2024-06-01, duration: 3d, sample: 1h}}
site:
  supply:
    grid: {{carbon_gco2_per_kwh: ~, carbon_file: {DATA / 'carbon' / 'eia_ciso_2022_hourly.csv'}, marginal_estimate: hour}}
    solar: {{peak_mw: 0.05, weather: {WEATHER}}}
    wind: {{rated_mw: 0.02, weather: {WEATHER}}}
    battery: {{capacity_mwh: 0.1, power_mw: 0.03}}
  thermal: {{enabled: true}}
workload: {{jobs: 30}}
policies:
  scheduler: {{name: fcfs}}
  energy: [{{name: power-down-idle, after: 30min}}]
output: {{file: {d / 'schema-check.h5'}, per_rack: true, per_node: true, events: true}}
""")
    out = d / "schema-check.h5"
    run_dcsim(["run", scenario, "-q", "-o", out])
    assert out.exists()
    return out


@pytest.fixture(scope="module")
def request_run(require_binary, tmp_path_factory) -> Path:
    """Serving in the request fidelity writes the request table (dimension `request`)."""
    d = tmp_path_factory.mktemp("schema-request")
    scenario = d / "schema-request.yaml"
    scenario.write_text(f"""\
extends: {EX / 'serving-quickstart.yaml'}
name: schema-request
time: {{start: 2024-06-01, duration: 2h, sample: 15min}}
workload: {{jobs: 4}}
serving: {{fidelity: request, step: 1min}}
output: {{file: {d / 'schema-request.h5'}}}
""")
    out = d / "schema-request.h5"
    run_dcsim(["run", scenario, "-q", "-o", out])
    assert out.exists()
    return out


@pytest.fixture(params=["full", "request"])
def any_run(request, full_run, request_run) -> Path:
    return full_run if request.param == "full" else request_run


def file_contents(path: Path):
    import h5py

    with h5py.File(path, "r") as f:
        variables = {}
        for name, obj in f.items():
            assert isinstance(obj, h5py.Dataset), f"{name}: groups are not part of the schema"
            attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in obj.attrs.items()}
            variables[name] = {"dtype": obj.dtype, "shape": obj.shape, "attrs": attrs,
                               "dims": [d.label for d in obj.dims]}
        root = {k: v for k, v in f.attrs.items()}
    return variables, root


def test_the_schema_tables_parse():
    docs = documented_variables()
    for must in ("facility_power_w", "job_id", "event_kind"):
        assert must in docs, f"SCHEMA.md tables lost {must}"
    assert len(documented_summary()) > 30
    assert "schema_version" in documented_root_attributes()


def test_every_variable_of_a_run_is_documented_with_its_units_and_type(any_run):
    variables, _ = file_contents(any_run)
    docs = documented_variables()
    problems = []
    for name, v in sorted(variables.items()):
        if name in ("job", "event", "request"):
            # dimensions without values: netCDF "dimension but not a variable" scales
            if not str(v["attrs"].get("NAME", "")).startswith("This is a netCDF dimension but not a netCDF variable."):
                problems.append(f"{name}: not a netCDF dimension-only scale")
            continue
        units = v["attrs"].get("units")
        if units is None:
            problems.append(f"{name}: no units attribute")
        if not v["attrs"].get("long_name"):
            problems.append(f"{name}: no long_name attribute")
        if name == "time":  # described in its own paragraph: CF time, float64
            if not (str(units).startswith("seconds since ") and TYPES["float64"](v["dtype"])):
                problems.append(f"time: {v['dtype']} in {units!r}, SCHEMA.md says float64 CF time")
            continue
        if name not in docs:
            problems.append(f"{name} (dims {v['dims']}, units {units!r}) is written but not in SCHEMA.md")
            continue
        doc = docs[name]
        if doc["units"] == CF_TIME:
            if not str(units).startswith("seconds since "):
                problems.append(f"{name}: units {units!r}, SCHEMA.md says CF time")
        elif str(units) != doc["units"]:
            problems.append(f"{name}: units {units!r} in the file, {doc['units']!r} in SCHEMA.md")
        if "type" in doc:
            check = TYPES.get(doc["type"])
            if check is None:
                problems.append(f"{name}: SCHEMA.md type {doc['type']!r} is not one of {sorted(TYPES)}")
            elif not check(v["dtype"]):
                problems.append(f"{name}: dtype {v['dtype']} in the file, {doc['type']} in SCHEMA.md")
    assert not problems, "\n".join(problems)


def test_every_documented_variable_is_written(full_run, request_run):
    """The scenarios switch on every optional part, so every row must be in one of the files."""
    variables, _ = file_contents(full_run)
    request_vars, _ = file_contents(request_run)
    assert not any(n.startswith("request") for n in variables), "an aggregated run wrote a request table"
    variables.update(request_vars)
    missing = sorted(set(documented_variables()) - set(variables))
    assert not missing, f"SCHEMA.md lists variables a full run does not write: {missing}"


def test_site_series_are_interval_averages_on_time(full_run):
    variables, root = file_contents(full_run)
    docs = documented_variables()
    n = variables["time"]["shape"][0]
    assert n == 72, f"3 days of hourly samples, got {n}"
    for name, doc in docs.items():
        if name in variables and variables[name]["dims"] == ["time"]:
            assert variables[name]["shape"] == (n,)
            assert variables[name]["attrs"].get("cell_methods") == "time: mean", name
    assert float(root["sample_s"]) == 3600.0


def documented_serving_summary() -> tuple[set[str], list[str]]:
    """The serving section's summary attributes: plain names and per-deployment patterns
    (`serving_<i>_arrivals`, then `_completed`, … for the same deployment)."""
    section = run_file_section()
    start = section.index("### Serving: dimension `deployment`")
    end = section.index("\n#", start + 1)
    par = section[start:end]
    par = par[par.index("Summary attributes (`summary_` +)"):par.index("Events `serving_replica_add`")]
    names, patterns = set(), []
    for token in re.findall(r"`([^`]+)`", par):
        if token == "summary_":
            continue
        if token.startswith("serving_<i>_"):
            patterns.append(r"summary_serving_\d+_" + re.escape(token[len("serving_<i>_"):]))
        elif token.startswith("_"):
            patterns.append(r"summary_serving_\d+" + re.escape(token))
        elif re.fullmatch(r"serving_[a-z0-9_]+", token):
            names.add("summary_" + token)
    return names, patterns


def test_root_attributes_are_exactly_the_documented_ones(full_run):
    _, root = file_contents(full_run)
    table = documented_root_attributes()
    serving_names, serving_patterns = documented_serving_summary()
    assert len(serving_patterns) >= 10 and "summary_serving_energy_kwh" in serving_names
    summary = documented_summary() | serving_names
    problems = []
    for name, value in sorted(root.items()):
        if name in table:
            kind = table[name]
            dt = getattr(value, "dtype", None)
            if kind == "string" and not isinstance(value, (str, bytes)):
                problems.append(f"{name}: {type(value).__name__}, SCHEMA.md says string")
            elif kind in ("int32", "int64", "float64") and (dt is None or not TYPES[kind](dt)):
                problems.append(f"{name}: {dt or type(value).__name__}, SCHEMA.md says {kind}")
        elif name.startswith("summary_"):
            if name not in summary and not any(re.fullmatch(p, name) for p in serving_patterns):
                problems.append(f"{name} is written but not in SCHEMA.md's summary list")
        elif re.fullmatch(r"trace_report_\d+", name) or re.fullmatch(r"serving_deployment_\d+", name):
            pass  # one per time-series input / per deployment (SCHEMA.md names them with <i>)
        else:
            problems.append(f"root attribute {name} is written but not in SCHEMA.md")
    for name in sorted(set(table) - set(root)):
        problems.append(f"SCHEMA.md's root attribute {name} is not written")
    for name in sorted(summary - set(root)):
        problems.append(f"SCHEMA.md's summary attribute {name} is not written")
    assert not problems, "\n".join(problems)
    assert root["complete"] == 1
    assert any(re.fullmatch(r"trace_report_\d+", k) for k in root), "a trace input without its report"


def test_the_schema_check_can_fail(tmp_path, monkeypatch):
    """A SCHEMA.md without a row for a written variable, or with a wrong unit, is caught."""
    import test_schema as t

    original = SCHEMA
    text = original.read_text()
    assert "| `it_power_w` | W |" in text
    broken = tmp_path / "SCHEMA.md"
    broken.write_text(text.replace("| `it_power_w` | W |", "| `it_power_w` | kW |")
                      .replace("`jobs_killed`, ", ""))
    monkeypatch.setattr(t, "SCHEMA", broken)
    assert t.documented_variables()["it_power_w"]["units"] == "kW"
    assert "summary_jobs_killed" not in t.documented_summary()
    monkeypatch.setattr(t, "SCHEMA", original)
    assert t.documented_variables()["it_power_w"]["units"] == "W"
    assert "summary_jobs_killed" in t.documented_summary()


# HDF5's own bookkeeping of dimension scales (the netCDF-4 mapping), not schema attributes.
HDF5_INTERNAL = {"CLASS", "NAME", "DIMENSION_LIST", "REFERENCE_LIST", "_Netcdf4Dimid", "_Netcdf4Coordinates"}


def documented_variable_attributes() -> set[str]:
    """Attribute names SCHEMA.md's "Conventions" and the time and site-series paragraphs give."""
    text = SCHEMA.read_text()
    conv = text[text.index("## Conventions"):text.index("## Complete or not")]
    run = run_file_section()
    time_par = run[run.index("### Dimension `time`"):run.index("| variable |")]
    names = set()
    for token in re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)\s*(?:=[^`]*)?`", conv + time_par):
        names.add(token)
    return names


def test_variable_attributes_are_the_documented_ones(any_run):
    variables, _ = file_contents(any_run)
    allowed = documented_variable_attributes()
    for must in ("units", "long_name", "cell_methods", "_FillValue", "calendar"):
        assert must in allowed, f"SCHEMA.md no longer names the variable attribute {must}"
    problems = []
    for name, v in sorted(variables.items()):
        extra = set(v["attrs"]) - allowed - HDF5_INTERNAL
        if extra:
            problems.append(f"{name}: attributes {sorted(extra)} are not in SCHEMA.md")
        is_float = v["dtype"].kind == "f"
        is_coordinate = name in ("time", "job", "event", "request")
        has_fill = "_FillValue" in v["attrs"]
        if is_float and not is_coordinate and not has_fill:
            problems.append(f"{name}: a float variable without _FillValue (SCHEMA.md: NaN)")
        if has_fill and is_float and v["attrs"]["_FillValue"] == v["attrs"]["_FillValue"]:
            problems.append(f"{name}: _FillValue is not NaN")
        if v["dtype"].kind == "i" and has_fill:
            problems.append(f"{name}: an integer variable with a _FillValue (SCHEMA.md: none)")
    assert not problems, "\n".join(problems)


# ---- the sweep index -----------------------------------------------------------------------

def sweep_index_section() -> str:
    text = SCHEMA.read_text()
    start = text.index("## Sweep index")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_the_sweep_index_variables_are_the_documented_ones(small_sweep):
    """Every `name(dims)` of SCHEMA.md's "Sweep index" section is in a real index with those
    dimensions, and every variable of the index is documented there, a site series of the run
    files or a sweep parameter (attribute `parameter`)."""
    import h5py

    documented = {name: tuple(d.strip() for d in dims.split(","))
                  for name, dims in re.findall(r"^- `(\w+)\(([\w, ]+)\)`", sweep_index_section(), re.M)}
    assert {"run", "time", "run_status", "run_result_path", "point", "realization"} <= set(documented)
    with h5py.File(small_sweep / "index.h5", "r") as f:
        for name, dims in documented.items():
            assert name in f, f"SCHEMA.md documents {name}{dims}, the index has no such variable"
            assert len(f[name].shape) == len(dims), f"{name}: {f[name].shape} vs documented {dims}"
        series = {n for n in f if f[n].ndim == 2}
        params = {n for n in f if "parameter" in f[n].attrs}
        undocumented = set(f) - set(documented) - series - params
        assert not undocumented, f"index variables missing from SCHEMA.md: {sorted(undocumented)}"
        assert f["realization"].attrs["standard_name"] == "realization"
        assert f["realization"].dtype == "int32" and f["point"].dtype == "int32"


def registered_summary_keys() -> tuple[set[str], list[str]]:
    """The run summary's key table (sim/output/summary_keys.hpp), as summary_ attribute names
    and the per-deployment suffixes."""
    text = (SOURCE_DIR / "sim" / "output" / "summary_keys.hpp").read_text()
    tables = {}
    for name, body in re.findall(r"constexpr std::string_view (k\w+)\[\] = \{(.*?)\};", text, re.S):
        tables[name] = re.findall(r'"([^"]+)"', body)
    plain = {"summary_" + k for k in tables["kSummaryKeys"] + tables["kSummaryTextKeys"]}
    return plain, tables["kServingDeploymentSummaryKeys"]


def test_the_registered_summary_keys_are_exactly_the_documented_ones():
    plain, suffixes = registered_summary_keys()
    serving_names, serving_patterns = documented_serving_summary()
    documented = documented_summary() | serving_names
    # The engine's SimGrid energy-plugin figure is only written with --simgrid-energy-plugin.
    undocumented = plain - documented - {"summary_simgrid_host_energy_j"}
    assert not undocumented, f"registered in summary_keys.hpp, not in SCHEMA.md: {sorted(undocumented)}"
    unregistered = documented - plain
    assert not unregistered, f"in SCHEMA.md, not registered in summary_keys.hpp: {sorted(unregistered)}"
    documented_suffixes = sorted(p.split(r"\d+_")[-1].replace("\\", "") for p in serving_patterns)
    assert sorted(suffixes) == documented_suffixes

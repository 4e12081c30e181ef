"""The H200 thermal constants of sim/physics/thermal.cpp are what platforms/calibration/
thermal_fit.py fits to our samples (platforms/calibration/data/samples.csv): the resistance and
time constant in the code are the fit's, rounded as printed, and the fit explains the measured
temperatures to within 2 K rms."""
import re
import subprocess
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parents[2]


def constant(name: str) -> float:
    text = (SOURCE_DIR / "sim" / "physics" / "thermal.cpp").read_text()
    m = re.search(rf"{name}\s*=\s*([0-9.]+)", text)
    assert m, f"{name} not found in thermal.cpp"
    return float(m.group(1))


def test_the_code_holds_the_fitted_h200_constants():
    out = subprocess.run(["/usr/bin/python3", str(SOURCE_DIR / "platforms" / "calibration" / "thermal_fit.py")],
                         check=True, capture_output=True, text=True).stdout.split()
    fit = dict(zip(out[0::2], map(float, out[1::2])))
    assert fit["R_K_per_W"] == constant("kH200ResistanceKPerW")
    assert fit["tau_s"] == constant("kH200TauS")
    assert fit["rms_K"] < 2.0
    # the offset: the fitted inlet of the measurement minus the assumed 25 °C room (estimated)
    assert round(fit["T_in_C"] - 25) == constant("kH200OffsetC")

package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.internal.container.ZipArchive;
import dev.laocoon.core.internal.pickle.GlobalName;
import dev.laocoon.core.internal.pickle.TraceEvent;
import dev.laocoon.core.internal.pickle.Value;
import java.util.List;

/**
 * joblib dumps older than 0.10 keep each array in a side file named by the wrapper's state:
 * {@code NDArrayWrapper.read} calls {@code numpy.load(os.path.join(dirname, self.filename),
 * allow_pickle=True)} and {@code ZNDArrayWrapper.read} opens and inflates
 * {@code os.path.join(dirname, self.filename)} (joblib/numpy_pickle_compat.py). {@code os.path.join}
 * drops the folder for an absolute name, and {@code ..} leaves it: the dump then makes joblib read,
 * and unpickle, a file of the attacker's choosing elsewhere on the host.
 */
final class JoblibSideFiles {
    private JoblibSideFiles() {
    }

    static void check(TraceEvent.Invoke build, Location loc, List<Finding> out) {
        if (!(build.target() instanceof Value.Call call)) {
            return;
        }
        GlobalName g = call.rootGlobal();
        if (g == null || !g.known() || !g.resolvedModule().startsWith("joblib") || !g.resolvedName().endsWith("NDArrayWrapper")) {
            return;
        }
        Value name = filename(build.args());
        if (name == null) {
            return; // no filename in the state: the wrapper fails to read, nothing is loaded
        }
        if (!(name instanceof Value.Str s) || !s.complete()) {
            out.add(new Finding(Rule.JOBLIB_SIDE_FILE, Severity.SUSPICIOUS,
                    "the side file of an old-format joblib array is not a constant name; where joblib.load reads it cannot be known",
                    loc, PickleAnalyzer.describe(build)));
            return;
        }
        String f = s.text();
        if (ZipArchive.linkEscapes("", f)) { // absolute, a drive letter, or climbing above the folder
            out.add(new Finding(Rule.JOBLIB_SIDE_FILE, Severity.MALICIOUS,
                    "joblib.load reads the side file '" + f + "' outside the dump's folder"
                            + (g.resolvedName().startsWith("Z") ? "" : " with numpy.load(allow_pickle=True), unpickling it"),
                    loc, PickleAnalyzer.describe(build)));
        }
    }

    private static Value filename(Value state) {
        Value.Container d = state instanceof Value.Container c && c.kind() == Value.Kind.DICT ? c : null;
        if (state instanceof Value.Container t && t.kind() == Value.Kind.TUPLE && t.keptCount() == 2
                && t.item(1) instanceof Value.Container slots && slots.kind() == Value.Kind.DICT) {
            d = slots;
        }
        if (d == null) {
            return null;
        }
        for (int i = 0; i + 1 < d.keptCount(); i += 2) {
            if (d.item(i) instanceof Value.Str k && k.text().equals("filename")) {
                return d.item(i + 1);
            }
        }
        return d.complete() ? null : Value.NONE;
    }
}

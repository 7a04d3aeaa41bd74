package dev.laocoon.core.audit;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.finding.RuleDescriptor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.function.Function;

/**
 * What runs the configuration around the models (Kubernetes manifests, Dockerfiles, CI workflows):
 * an optional module ({@code laocoon-audit}) found with {@link ServiceLoader}, so that core and
 * the command-line jar neither carry its YAML parser nor load any of it for a scan of model files.
 * The command line looks for it only for {@code laocoon audit} and for a scan with a folder argument.
 */
public interface Auditor {

    /** The rules this auditor reports (SARIF lists them with their pages). */
    List<? extends RuleDescriptor> rules();

    /**
     * {@code laocoon audit}: walks the arguments (folders recursively, version-control folders
     * skipped, the globs as {@code scan}'s) and returns one report per file it recognises; a file it
     * does not recognise is not listed. {@code models} scans a model file a manifest or workflow
     * names (for the chain link); it returns null when the file cannot be scanned.
     */
    ScanReport audit(List<Path> arguments, List<String> includes, List<String> excludes,
                     Function<Path, FileReport> models) throws IOException;

    /**
     * {@code laocoon scan} of a tree: the reports of {@code scanned} with the audit's findings of
     * each file it recognises merged in (formats and findings added); model verdicts come from
     * {@code scanned} itself. Files outside the folder arguments are left as they are.
     */
    ScanReport merge(ScanReport scanned, List<Path> arguments);

    /** The auditor on the class path, or null when the audit module is not there. */
    static Auditor find() {
        try {
            Iterator<Auditor> it = ServiceLoader.load(Auditor.class, Auditor.class.getClassLoader()).iterator();
            return it.hasNext() ? it.next() : null;
        } catch (ServiceConfigurationError e) {
            return null;
        }
    }
}

package dev.laocoon.core;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.source.FileByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What model servers run besides what pickles import: the serving policy of {@code laocoon gate}.
 * Each kind of code a server would load is refused unless allowed by name:
 * <ul>
 * <li>{@code torchscript}: a TorchScript archive runs its {@code code/} when loaded ({@code torch.jit.load});
 * <li>{@code trust-remote-code}: a {@code config.json} naming its own code ({@code auto_map}), which
 *     Transformers imports with {@code trust_remote_code=True};
 * <li>{@code python-files}: {@code .py} files next to the weights (what {@code auto_map} names, a
 *     TorchServe handler, a Triton {@code model.py});
 * <li>{@code torchserve-mar}: a TorchServe {@code .mar} archive, whose handler code TorchServe runs;
 * <li>{@code triton-python}: a Triton {@code config.pbtxt} with the Python backend, repository agents
 *     or a model-init library, which load code from the repository;
 * <li>{@code gguf-template}: a GGUF chat template, which llama.cpp-based servers render on every request.
 * </ul>
 */
public final class ServingPolicy {
    /** The names {@code --allow} takes. */
    public static final Set<String> NAMES = Set.of("torchscript", "trust-remote-code", "python-files", "torchserve-mar",
            "triton-python", "gguf-template");

    /** A file the policy refuses, why, and the name that would allow it. */
    public record Refusal(String path, String allowName, String reason) {
    }

    private ServingPolicy() {
    }

    /**
     * The refusals for the files of {@code report}, whose paths are under {@code root} (the files
     * are read again where the decision needs their content: zip names, Triton configs, GGUF keys).
     */
    public static List<Refusal> check(ScanReport report, Path root, Set<String> allowed) throws IOException {
        List<Refusal> out = new ArrayList<>();
        for (FileReport f : report.files()) {
            Path p = Path.of(f.path());
            String rel = root.relativize(p.toAbsolutePath().normalize()).toString().replace('\\', '/');
            String name = p.getFileName() == null ? "" : p.getFileName().toString().toLowerCase(Locale.ROOT);
            if (f.formats().contains(Format.TORCHSCRIPT)) {
                add(out, allowed, rel, "torchscript", "a TorchScript archive: torch.jit.load runs its code");
            }
            for (Finding x : f.findings()) {
                if (x.rule() == Rule.REPO_REMOTE_CODE) {
                    add(out, allowed, rel, "trust-remote-code", "names its own Python code (auto_map), which"
                            + " Transformers imports with trust_remote_code");
                    break;
                }
            }
            if (name.endsWith(".py") || name.endsWith(".pyc") || name.endsWith(".so")) {
                add(out, allowed, rel, "python-files", "code next to the weights (" + name.substring(name.lastIndexOf('.'))
                        + "), which servers import: handlers, model.py, auto_map modules");
            }
            if (name.endsWith(".mar") || f.formats().contains(Format.ZIP) && hasZipEntry(p, "MAR-INF/MANIFEST.json")) {
                add(out, allowed, rel, "torchserve-mar", "a TorchServe archive: TorchServe runs its handler code");
            }
            if (name.equals("config.pbtxt")) {
                String why = tritonCode(p);
                if (why != null) {
                    add(out, allowed, rel, "triton-python", why);
                }
            }
            if (f.formats().contains(Format.GGUF) && ggufTemplate(p)) {
                add(out, allowed, rel, "gguf-template", "a GGUF chat template, which the server renders on every request");
            }
        }
        return out;
    }

    private static void add(List<Refusal> out, Set<String> allowed, String rel, String what, String reason) {
        if (!allowed.contains(what)) {
            out.add(new Refusal(rel, what, reason));
        }
    }

    private static boolean hasZipEntry(Path p, String entry) {
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(p.toFile())) {
            return z.getEntry(entry) != null;
        } catch (IOException | RuntimeException e) {
            return false; // not a zip Java reads: the scan judged it
        }
    }

    /** Why a Triton model configuration loads code from the repository, or null. */
    static String tritonCode(Path p) throws IOException {
        if (Files.size(p) > 4 << 20) {
            return "a Triton configuration over 4 MiB, not read";
        }
        String t = stripComments(new String(Files.readAllBytes(p), StandardCharsets.UTF_8));
        String flat = t.replaceAll("\\s+", " ");
        if (flat.matches("(?s).*\\bbackend\\s*:\\s*\"python\".*") || flat.matches("(?s).*\\bplatform\\s*:\\s*\"python\".*")) {
            return "Triton's Python backend runs the repository's model.py";
        }
        if (flat.contains("model_repository_agents")) {
            return "Triton repository agents run on the model's files";
        }
        if (flat.contains("MODEL_INIT_LIBRARY") || flat.contains("EXECUTION_ENV_PATH")) {
            return "the configuration loads a library or environment from the repository";
        }
        return null;
    }

    private static String stripComments(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean inString = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' && (i == 0 || s.charAt(i - 1) != '\\')) {
                inString = !inString;
            }
            if (c == '#' && !inString) {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
                b.append('\n');
                continue;
            }
            b.append(c);
        }
        return b.toString();
    }

    private static boolean ggufTemplate(Path p) throws IOException {
        try (FileByteSource src = new FileByteSource(p)) {
            dev.laocoon.core.internal.format.GgufReader.Gguf g = dev.laocoon.core.internal.format.GgufReader.read(src);
            if (g == null) {
                return false;
            }
            for (Map.Entry<String, String> kv : g.strings()) {
                if (dev.laocoon.core.internal.format.GgufReader.templateKey(kv.getKey())) {
                    return true;
                }
            }
            return !g.incomplete().isEmpty(); // not read to the end: a template may be there
        }
    }
}

package dev.laocoon.core.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Severity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Known findings accepted by fingerprint, each with a justification someone wrote, so that a CI
 * gate fails only on new findings. Accepted findings stay in every report, marked as accepted;
 * they only stop counting for {@code --fail-on}. The file is JSON:
 * {@code {"version": 2, "findings": [{"fingerprint", "rule", "severity", "path", "message",
 * "justification"}]}}.
 *
 * <p>A version-2 fingerprint ({@link #fingerprint}) covers the rule, the path in the scanned tree,
 * the place (member, pickle, offset, place inside the format), the evidence and the SHA-256 of the
 * whole file: evidence is a preview, and a payload changed beyond it must not match. A changed
 * file therefore needs its entries written again. Malicious findings are accepted only when the
 * caller allows it explicitly.
 */
public final class Baseline {
    public static final int VERSION = 2;
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, String> accepted;

    private Baseline(Map<String, String> accepted) {
        this.accepted = accepted;
    }

    /**
     * Reads a baseline. Every entry needs a fingerprint and a justification; a version-1 file (its
     * fingerprints did not cover the whole payload) is refused with the way to write a new one.
     */
    public static Baseline read(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        if (root == null || !root.path("findings").isArray()) {
            throw new IllegalArgumentException(file + ": not a Laocoon baseline (expected {\"findings\": [...]})");
        }
        int version = root.path("version").asInt(1);
        if (version != VERSION) {
            throw new IllegalArgumentException(file + ": a version " + version + " baseline; this Laocoon reads version "
                    + VERSION + ", whose fingerprints cover the whole file (version 1 matched the evidence preview only, "
                    + "so a payload changed beyond it still matched). Write a new one with --write-baseline and copy "
                    + "the justifications over");
        }
        Map<String, String> m = new HashMap<>();
        List<String> missing = new ArrayList<>();
        int i = 0;
        for (JsonNode e : root.get("findings")) {
            String fp = e.path("fingerprint").asText("");
            String why = e.path("justification").asText("").strip();
            if (fp.isEmpty() || why.isEmpty()) {
                missing.add("entry " + i + " (" + e.path("rule").asText("?") + " " + e.path("path").asText("?") + ")");
            } else {
                m.put(fp, why);
            }
            i++;
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(file + ": " + missing.size() + " of " + i + " entries have no "
                    + "justification (or no fingerprint); write why each finding is acceptable before using the baseline: "
                    + String.join(", ", missing.subList(0, Math.min(20, missing.size())))
                    + (missing.size() > 20 ? ", ..." : ""));
        }
        return new Baseline(m);
    }

    /** What {@link #write} wrote and what it left out. */
    public record Written(int entries, List<String> maliciousLeftOut) {
    }

    /**
     * Writes the findings of {@code report} as entries with an empty justification, to be filled
     * in before the baseline is accepted. Malicious findings are left out (and named in the
     * result) unless {@code allowMalicious}; files that could not be read have nothing to accept.
     * The report should have been scanned with content hashes (files without one, such as
     * symbolic links, are fingerprinted without it).
     */
    public static Written write(ScanReport report, List<Path> roots, Path file, boolean allowMalicious)
            throws IOException {
        return write(report, roots, file, allowMalicious, null);
    }

    /**
     * As {@link #write(ScanReport, List, Path, boolean)}; an entry whose fingerprint {@code previous}
     * (the baseline in use, may be null) accepts keeps its justification.
     */
    public static Written write(ScanReport report, List<Path> roots, Path file, boolean allowMalicious,
                                Baseline previous) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", VERSION);
        ArrayNode arr = root.putArray("findings");
        List<String> leftOut = new ArrayList<>();
        for (FileReport f : report.files()) {
            if (f.failed()) {
                continue;
            }
            String rel = SarifReport.relativeToRoot(f.path(), roots);
            for (Finding x : f.findings()) {
                String path = rel + (x.location().members().isEmpty() ? "" : "!" + x.location().memberPath());
                if (x.severity() == Severity.MALICIOUS && !allowMalicious) {
                    leftOut.add(x.rule().id() + " " + path);
                    continue;
                }
                ObjectNode e = arr.addObject();
                String fp = fingerprint(x, rel, f.sha256());
                e.put("fingerprint", fp);
                e.put("rule", x.rule().id());
                e.put("severity", x.severity().label());
                e.put("path", path);
                e.put("message", x.message());
                e.put("justification", previous == null ? "" : previous.accepted.getOrDefault(fp, ""));
            }
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
        return new Written(arr.size(), leftOut);
    }

    /**
     * Matches the report's findings against the baseline. A malicious finding is accepted only
     * with {@code allowMalicious}; otherwise it keeps failing and is listed in
     * {@link Applied#maliciousRefused()}.
     */
    public Applied apply(ScanReport report, List<Path> roots, boolean allowMalicious) {
        List<FileReport> files = report.files();
        String[][] why = new String[files.size()][];
        int count = 0;
        List<String> refused = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            FileReport f = files.get(i);
            why[i] = new String[f.findings().size()];
            if (f.failed()) {
                continue;
            }
            String rel = SarifReport.relativeToRoot(f.path(), roots);
            for (int k = 0; k < f.findings().size(); k++) {
                Finding x = f.findings().get(k);
                String j = accepted.get(fingerprint(x, rel, f.sha256()));
                if (j == null) {
                    continue;
                }
                if (x.severity() == Severity.MALICIOUS && !allowMalicious) {
                    refused.add(x.rule().id() + " " + f.path());
                    continue;
                }
                why[i][k] = j;
                count++;
            }
        }
        return new Applied(report, why, count, refused);
    }

    /**
     * The baseline's fingerprint of a finding: SARIF's (rule, path in the tree, member, pickle,
     * offset, evidence, place inside the format) and the SHA-256 of the file's whole content
     * (null for a symbolic link, whose findings name its target).
     */
    public static String fingerprint(Finding x, String relativePath, String sha256) {
        // no content hash: a symbolic link (its finding names the target) or a scan without hashes
        String key = "laocoon-baseline/v2\n" + SarifReport.fingerprint(x, relativePath) + "\n"
                + (sha256 == null ? "no-content" : sha256);
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A report with the baseline's decisions: which findings are accepted, and why. */
    public static final class Applied implements Accepted {
        private final ScanReport report;
        private final String[][] why;
        private final int accepted;
        private final List<String> refused;

        Applied(ScanReport report, String[][] why, int accepted, List<String> refused) {
            this.report = report;
            this.why = why;
            this.accepted = accepted;
            this.refused = List.copyOf(refused);
        }

        public ScanReport report() {
            return report;
        }

        /** How many findings the baseline accepted. */
        public int accepted() {
            return accepted;
        }

        /** Malicious findings that matched an entry but were not accepted (no explicit permission). */
        public List<String> maliciousRefused() {
            return refused;
        }

        @Override
        public String justification(int file, int finding) {
            return file < why.length && finding < why[file].length ? why[file][finding] : null;
        }
    }
}

package dev.laocoon.core.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

/**
 * GitLab's SAST report (security report schema 15.0.7), the JSON that {@code artifacts:reports:sast}
 * feeds to the merge-request security widget and the vulnerability report. One vulnerability per
 * finding, with a stable UUID derived from the finding's fingerprint and its path in the project
 * (so GitLab tracks it across pipelines), the rule as primary identifier and the file as location.
 * A binary file has no lines, so no {@code start_line} is given. "Format unrecognised" (LAO002) is
 * not a vulnerability (every text file would be one): a scan message counts those places instead.
 * Files that could not be read are vulnerabilities (LAO001) and a {@code warn} message each: a scan
 * that did not read a file never looks clean.
 */
public final class GitlabSastReport {
    /** The schema version written; GitLab 15.0 and later accept 15.0.x reports. */
    public static final String SCHEMA_VERSION = "15.0.7";
    public static final String SCHEMA_URL = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v"
            + SCHEMA_VERSION + "/dist/sast-report-format.json";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);
    /** The schema's limits on a vulnerability's name and description. */
    private static final int MAX_NAME = 255;
    private static final int MAX_DESCRIPTION = 1 << 20;

    private GitlabSastReport() {
    }

    /**
     * @param end     when the scan ended; its start is {@code end} less the report's duration
     * @param docsBase base URL of the rule pages ({@code docsBase + "LAO101.md"}), http or https
     */
    public static void write(ScanReport report, List<Path> roots, String version, String docsBase, Instant end,
                             Writer out) throws IOException {
        write(report, Accepted.NONE, roots, version, docsBase, end, out);
    }

    /**
     * As {@link #write(ScanReport, List, String, String, Instant, Writer)}; findings a baseline
     * accepted are not vulnerabilities (GitLab has no "accepted elsewhere" state; a scan message
     * counts them), since GitLab keeps its own dismissals.
     */
    public static void write(ScanReport report, Accepted accepted, List<Path> roots, String version, String docsBase,
                             Instant end, Writer out) throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        String base = docsBase.endsWith("/") ? docsBase : docsBase + "/";
        Instant start = end.minusNanos(report.nanos()).truncatedTo(ChronoUnit.SECONDS);
        int unrecognised = 0;
        int acceptedCount = 0;
        try (JsonGenerator g = JsonFactory.builder().disable(StreamWriteFeature.AUTO_CLOSE_TARGET).build()
                .createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("schema", SCHEMA_URL);
            g.writeStringField("version", SCHEMA_VERSION);
            g.writeArrayFieldStart("vulnerabilities");
            for (int i = 0; i < report.files().size(); i++) {
                FileReport f = report.files().get(i);
                String file = projectPath(f.path(), cwd);
                String rel = SarifReport.relativeToRoot(f.path(), roots);
                for (int k = 0; k < f.findings().size(); k++) {
                    Finding x = f.findings().get(k);
                    if (x.rule() == Rule.FORMAT_UNKNOWN) {
                        unrecognised++;
                        continue;
                    }
                    if (accepted.justification(i, k) != null) {
                        acceptedCount++;
                        continue;
                    }
                    vulnerability(g, x, file, rel, base);
                }
            }
            g.writeEndArray();
            g.writeObjectFieldStart("scan");
            tool(g, "analyzer", version);
            tool(g, "scanner", version);
            g.writeStringField("type", "sast");
            g.writeStringField("start_time", TIME.format(start));
            g.writeStringField("end_time", TIME.format(end));
            g.writeStringField("status", "success");
            g.writeArrayFieldStart("messages");
            for (FileReport f : report.files()) {
                if (f.failed()) {
                    message(g, "warn", projectPath(f.path(), cwd) + ": " + f.error() + " (not scanned)");
                }
            }
            if (acceptedCount > 0) {
                message(g, "info", acceptedCount + " findings are accepted by the project's Laocoon baseline and are"
                        + " not listed");
            }
            message(g, "info", report.files().size() + " files scanned"
                    + (unrecognised == 0 ? "" : "; " + unrecognised + " files or members are of no format Laocoon"
                    + " analyses (LAO002) and are not listed as vulnerabilities"));
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        }
    }

    private static void vulnerability(JsonGenerator g, Finding x, String file, String rel, String base)
            throws IOException {
        g.writeStartObject();
        g.writeStringField("id", id(x, file, rel));
        String title = x.rule().slug().replace('-', ' ');
        title = Character.toUpperCase(title.charAt(0)) + title.substring(1);
        g.writeStringField("name", cap(title + " (" + x.rule().id() + ")", MAX_NAME));
        String where = x.location().members().isEmpty() && x.location().within() == null ? ""
                : " Location: " + x.location().render() + ".";
        String evidence = x.evidence().isEmpty() ? "" : " Evidence: " + x.evidence();
        g.writeStringField("description", cap(x.message() + "." + where + evidence, MAX_DESCRIPTION));
        g.writeStringField("severity", severity(x.severity()));
        g.writeStringField("solution", cap(x.severity() == Severity.MALICIOUS
                ? "Do not load this file. Remove it, or replace it with a copy from a trusted source (safetensors where"
                + " possible). See " + base + x.rule().id() + ".md."
                : "Review the finding before loading the file; see " + base + x.rule().id() + ".md.", 7000));
        g.writeArrayFieldStart("identifiers");
        g.writeStartObject();
        g.writeStringField("type", "laocoon_rule");
        g.writeStringField("name", "Laocoon " + x.rule().id() + " " + x.rule().slug());
        g.writeStringField("value", x.rule().id());
        g.writeStringField("url", base + x.rule().id() + ".md");
        g.writeEndObject();
        g.writeEndArray();
        g.writeObjectFieldStart("location");
        g.writeStringField("file", file);
        if (x.location().members().isEmpty() && x.location().within() != null && x.location().within().inFile()) {
            g.writeNumberField("start_line", x.location().within().line()); // a text file (the audit's manifests)
        }
        g.writeEndObject();
        g.writeEndObject();
    }

    /**
     * A name-based UUID of the finding's fingerprint (rule, place in the scanned tree, member,
     * offset, evidence) and the file's path in the project: the same finding gets the same id in
     * every pipeline, two findings of one file differ.
     */
    static String id(Finding x, String file, String rel) {
        String key = "laocoon-gitlab-sast\n" + file + "\n" + SarifReport.fingerprint(x, rel);
        return UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** Malicious: Critical; suspicious: High; notice: Info. */
    static String severity(Severity s) {
        return switch (s) {
            case MALICIOUS -> "Critical";
            case SUSPICIOUS -> "High";
            case NOTICE -> "Info";
            case SAFE -> "Unknown";
        };
    }

    /** The path relative to the working directory (the project checkout in CI), with '/' separators. */
    static String projectPath(String display, Path cwd) {
        Path abs = Path.of(display).toAbsolutePath().normalize();
        String s = abs.startsWith(cwd) ? cwd.relativize(abs).toString() : abs.toString();
        return s.replace(java.io.File.separatorChar, '/');
    }

    private static void tool(JsonGenerator g, String field, String version) throws IOException {
        g.writeObjectFieldStart(field);
        g.writeStringField("id", "laocoon");
        g.writeStringField("name", "Laocoon");
        g.writeStringField("version", version);
        g.writeObjectFieldStart("vendor");
        g.writeStringField("name", "Laocoon");
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void message(JsonGenerator g, String level, String text) throws IOException {
        g.writeStartObject();
        g.writeStringField("level", level);
        g.writeStringField("value", text);
        g.writeEndObject();
    }

    private static String cap(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "\u2026";
    }
}

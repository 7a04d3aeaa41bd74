package dev.laocoon.core.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.RuleCatalog;
import dev.laocoon.core.finding.RuleDescriptor;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * SARIF 2.1.0 for code-scanning services: one run, a rule for every rule id Laocoon can emit,
 * and a result per finding with a relative artifact URI, the byte offset as a region, archive
 * members in the message and as a logical location, and a partial fingerprint that does not
 * depend on where the scanned tree lives.
 */
public final class SarifReport {
    public static final String SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
    /** Where rule pages are published unless the caller says otherwise: {@code BASE + "LAO101.md"}. */
    public static final String DEFAULT_DOCS = "https://laocoon.invalid/rules/";

    private SarifReport() {
    }

    /**
     * How the rules are described: the catalogue of rules to list (core's and other modules') and
     * the base URL of their pages; each rule's {@code helpUri} is {@code docsBase + id + ".md"}.
     */
    public record Options(RuleCatalog catalog, String docsBase, boolean ruleTable) {
        public Options(RuleCatalog catalog, String docsBase) {
            this(catalog, docsBase, true);
        }

        public static Options defaults() {
            return new Options(RuleCatalog.builtIn(), DEFAULT_DOCS);
        }

        /**
         * The same log with an empty {@code tool.driver.rules} (each result's {@code ruleIndex} still
         * points into the catalogue): for a caller that stores many logs and adds the one table,
         * {@link #ruleTable(Options)}, when it shows one.
         */
        public Options withoutRuleTable() {
            return new Options(catalog, docsBase, false);
        }
    }

    /** The {@code tool.driver.rules} array of a log written with {@code o}, as JSON text. */
    public static String ruleTable(Options o) throws IOException {
        java.io.StringWriter w = new java.io.StringWriter();
        try (JsonGenerator g = JsonFactory.builder().disable(StreamWriteFeature.AUTO_CLOSE_TARGET).build()
                .createGenerator(w)) {
            rules(g, o.catalog(), o.docsBase().endsWith("/") ? o.docsBase() : o.docsBase() + "/");
        }
        return w.toString();
    }

    private static void rules(JsonGenerator g, RuleCatalog catalog, String base) throws IOException {
        g.writeStartArray();
        for (RuleDescriptor r : catalog.rules()) {
            String uri = base + r.id() + ".md";
            g.writeStartObject();
            g.writeStringField("id", r.id());
            g.writeStringField("name", camel(r.slug()));
            g.writeObjectFieldStart("shortDescription");
            g.writeStringField("text", r.slug().replace('-', ' '));
            g.writeEndObject();
            g.writeObjectFieldStart("fullDescription");
            g.writeStringField("text", r.summary());
            g.writeEndObject();
            g.writeObjectFieldStart("help");
            g.writeStringField("text", r.summary() + " See " + uri + ".");
            g.writeStringField("markdown", RuleCatalog.page(r));
            g.writeEndObject();
            g.writeStringField("helpUri", uri);
            g.writeObjectFieldStart("defaultConfiguration");
            g.writeStringField("level", level(r.defaultSeverity()));
            g.writeEndObject();
            g.writeObjectFieldStart("properties");
            g.writeStringField("security-severity", securitySeverity(r.defaultSeverity()));
            g.writeStringField("precision", "high");
            g.writeArrayFieldStart("tags");
            g.writeString("security");
            g.writeString("machine-learning");
            g.writeString(r.slug().substring(0, r.slug().indexOf('-') < 0 ? r.slug().length() : r.slug().indexOf('-')));
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    public static void write(ScanReport report, List<Path> roots, String version, Writer out) throws IOException {
        write(report, roots, version, Options.defaults(), out);
    }

    public static void write(ScanReport report, List<Path> roots, String version, Options o, Writer out)
            throws IOException {
        write(report, Accepted.NONE, roots, version, o, out);
    }

    /**
     * As {@link #write(ScanReport, List, String, Options, Writer)}; a finding {@code accepted} by a
     * baseline is a result with {@code suppressions: [{kind: external, status: accepted, justification}]}.
     */
    public static void write(ScanReport report, Accepted accepted, List<Path> roots, String version, Options o,
                             Writer out) throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        RuleCatalog catalog = o.catalog();
        String base = o.docsBase().endsWith("/") ? o.docsBase() : o.docsBase() + "/";
        try (JsonGenerator g = JsonFactory.builder().disable(StreamWriteFeature.AUTO_CLOSE_TARGET).build()
                .createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("$schema", SCHEMA);
            g.writeStringField("version", "2.1.0");
            g.writeArrayFieldStart("runs");
            g.writeStartObject();
            g.writeObjectFieldStart("tool");
            g.writeObjectFieldStart("driver");
            g.writeStringField("name", "Laocoon");
            g.writeStringField("version", version);
            g.writeStringField("semanticVersion", version.replace("-SNAPSHOT", "").replace("-dev", ""));
            g.writeStringField("informationUri", base);
            g.writeFieldName("rules");
            if (o.ruleTable()) {
                rules(g, catalog, base);
            } else {
                g.writeStartArray();
                g.writeEndArray();
            }
            g.writeEndObject();
            g.writeEndObject();
            g.writeArrayFieldStart("results");
            int written = 0;
            int unrecognised = 0;
            int dropped = 0;
            for (int i = 0; i < report.files().size(); i++) {
                FileReport f = report.files().get(i);
                if (f.failed()) {
                    continue; // a notification of the invocation (below): there is nothing to point into
                }
                String rel = relativeToRoot(f.path(), roots);
                String uri = f.source() != null ? f.path() : uri(f.path(), cwd); // a remote file: its URL
                for (int k = 0; k < f.findings().size(); k++) {
                    Finding x = f.findings().get(k);
                    if (x.rule() == Rule.FORMAT_UNKNOWN) {
                        // not a security result: every text file and archive member would be one
                        unrecognised++;
                    } else if (written >= MAX_RESULTS) {
                        dropped++;
                    } else {
                        result(g, x, uri, rel, catalog.indexOf(x.rule().id()), accepted.justification(i, k), cwd);
                        written++;
                    }
                }
            }
            g.writeEndArray();
            invocation(g, report, cwd, unrecognised, dropped);
            g.writeObjectFieldStart("properties");
            g.writeNumberField("filesScanned", report.files().size());
            g.writeEndObject();
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    /** GitHub code scanning refuses a run of more than 25,000 results. */
    static final int MAX_RESULTS = 25_000;

    /**
     * The run's invocation: whether it completed, and notifications for files that could not be
     * read (they have no location a result could point into), for results left out over the cap
     * and for how many places were of no format Laocoon analyses (not listed as results).
     */
    private static void invocation(JsonGenerator g, ScanReport report, Path cwd, int unrecognised, int dropped)
            throws IOException {
        g.writeArrayFieldStart("invocations");
        g.writeStartObject();
        g.writeBooleanField("executionSuccessful", report.errors() == 0);
        g.writeArrayFieldStart("toolExecutionNotifications");
        for (FileReport f : report.files()) {
            if (f.failed()) {
                g.writeStartObject();
                g.writeStringField("level", "error");
                g.writeObjectFieldStart("message");
                g.writeStringField("text", f.path() + ": " + f.error() + " (not scanned)");
                g.writeEndObject();
                g.writeArrayFieldStart("locations");
                g.writeStartObject();
                g.writeObjectFieldStart("physicalLocation");
                g.writeObjectFieldStart("artifactLocation");
                g.writeStringField("uri", uri(f.path(), cwd));
                g.writeEndObject();
                g.writeEndObject();
                g.writeEndObject();
                g.writeEndArray();
                g.writeEndObject();
            }
        }
        if (dropped > 0) {
            note(g, "warning", dropped + " more results were left out: code scanning takes at most " + MAX_RESULTS
                    + " per run (see the JSON report for all of them)");
        }
        if (unrecognised > 0) {
            note(g, "note", unrecognised + " files or members are of no format Laocoon analyses (LAO002); they are not"
                    + " listed as results");
        }
        g.writeEndArray();
        g.writeEndObject();
        g.writeEndArray();
    }

    private static void note(JsonGenerator g, String level, String text) throws IOException {
        g.writeStartObject();
        g.writeStringField("level", level);
        g.writeObjectFieldStart("message");
        g.writeStringField("text", text);
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void result(JsonGenerator g, Finding x, String uri, String rel, int ruleIndex, String accepted,
                               Path cwd) throws IOException {
        g.writeStartObject();
        g.writeStringField("ruleId", x.rule().id());
        if (ruleIndex >= 0) {
            g.writeNumberField("ruleIndex", ruleIndex);
        }
        g.writeStringField("level", level(x.severity()));
        String where = x.location().members().isEmpty() ? "" : " [in " + x.location().memberPath() + "]";
        String evidence = x.evidence().isEmpty() ? "" : " Evidence: " + x.evidence();
        g.writeObjectFieldStart("message");
        g.writeStringField("text", x.message() + where + evidence);
        g.writeEndObject();
        g.writeArrayFieldStart("locations");
        g.writeStartObject();
        g.writeObjectFieldStart("physicalLocation");
        g.writeObjectFieldStart("artifactLocation");
        g.writeStringField("uri", uri);
        g.writeEndObject();
        if (x.location().members().isEmpty() && x.location().offset() >= 0) {
            // a byte region only: a line region makes upload tools read a binary file as text
            g.writeObjectFieldStart("region");
            g.writeNumberField("byteOffset", x.location().offset());
            g.writeNumberField("byteLength", 1);
            g.writeEndObject();
        } else if (x.location().members().isEmpty() && x.location().within() != null && x.location().within().inFile()) {
            // a text file (manifest, Dockerfile, workflow): its line and column
            g.writeObjectFieldStart("region");
            g.writeNumberField("startLine", x.location().within().line());
            g.writeNumberField("startColumn", x.location().within().column());
            g.writeEndObject();
        }
        g.writeEndObject();
        var w = x.location().within();
        if (!x.location().members().isEmpty() || x.location().offset() >= 0 || w != null) {
            g.writeArrayFieldStart("logicalLocations");
            if (!x.location().members().isEmpty() || x.location().offset() >= 0) {
                g.writeStartObject();
                g.writeStringField("fullyQualifiedName", x.location().render());
                g.writeStringField("kind", x.location().members().isEmpty() ? "offset" : "member");
                g.writeEndObject();
            }
            if (w != null) {
                // the place inside the format: a template key with line and column, a pointer, a node
                g.writeStartObject();
                g.writeStringField("name", w.path());
                g.writeStringField("fullyQualifiedName", (x.location().members().isEmpty() ? ""
                        : x.location().memberPath() + "!") + w.render());
                g.writeStringField("kind", w.kind());
                if (w.line() > 0) {
                    g.writeObjectFieldStart("properties");
                    g.writeNumberField("line", w.line());
                    g.writeNumberField("column", w.column());
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        g.writeEndObject();
        g.writeEndArray();
        if (!x.related().isEmpty()) {
            // other places the finding links to: the model file a pod loads (the audit's chain link)
            g.writeArrayFieldStart("relatedLocations");
            for (int r = 0; r < x.related().size(); r++) {
                dev.laocoon.core.finding.Location loc = x.related().get(r);
                g.writeStartObject();
                g.writeNumberField("id", r + 1);
                g.writeObjectFieldStart("physicalLocation");
                g.writeObjectFieldStart("artifactLocation");
                g.writeStringField("uri", uri(loc.file(), cwd));
                g.writeEndObject();
                if (loc.within() != null && loc.within().inFile()) {
                    g.writeObjectFieldStart("region");
                    g.writeNumberField("startLine", loc.within().line());
                    g.writeNumberField("startColumn", loc.within().column());
                    g.writeEndObject();
                }
                g.writeEndObject();
                g.writeObjectFieldStart("message");
                g.writeStringField("text", loc.within() == null || loc.within().path().isEmpty() ? loc.file()
                        : loc.within().path());
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        g.writeObjectFieldStart("partialFingerprints");
        g.writeStringField("laocoonFindingHash/v1", fingerprint(x, rel));
        g.writeEndObject();
        if (accepted != null) {
            // accepted by a baseline (a file outside the log): code scanning shows it as such
            g.writeArrayFieldStart("suppressions");
            g.writeStartObject();
            g.writeStringField("kind", "external");
            g.writeStringField("status", "accepted");
            g.writeStringField("justification", accepted);
            g.writeEndObject();
            g.writeEndArray();
        }
        g.writeObjectFieldStart("properties");
        g.writeStringField("severity", x.severity().label());
        g.writeEndObject();
        g.writeEndObject();
    }

    /**
     * Stable across runs and scan locations: rule, path within the scanned tree, member, pickle,
     * offset, evidence, and the place inside the format when there is one (appended only then, so
     * findings without one keep the fingerprints they had before that part existed).
     */
    public static String fingerprint(Finding x, String relativePath) {
        String key = x.rule().id() + "\n" + relativePath + "\n" + x.location().memberPath() + "\n"
                + x.location().pickleIndex() + "\n" + x.location().offset() + "\n" + x.evidence()
                + (x.location().within() == null ? "" : "\n" + x.location().within().render());
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The file's path inside the scan argument it came from (a file argument: its name). */
    public static String relativeToRoot(String display, List<Path> roots) {
        Path p = Path.of(display);
        Path best = null;
        for (Path r : roots) {
            if (p.startsWith(r) && !p.equals(r) && (best == null || r.getNameCount() > best.getNameCount())) {
                best = r;
            }
        }
        Path rel = best == null ? p.getFileName() : best.relativize(p);
        return rel == null ? display : rel.toString().replace(java.io.File.separatorChar, '/');
    }

    /** A relative URI when the file is under the working directory (as code-scanning services expect). */
    static String uri(String display, Path cwd) {
        Path p = Path.of(display);
        Path abs = p.toAbsolutePath().normalize();
        String s;
        if (abs.startsWith(cwd)) {
            // the platform's separator only: on Unix a backslash is part of a file name (URL-encoded below)
            s = cwd.relativize(abs).toString().replace(java.io.File.separatorChar, '/');
        } else {
            return abs.toUri().toString();
        }
        StringBuilder sb = new StringBuilder();
        for (String part : s.split("/")) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(java.net.URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return sb.toString();
    }

    static String level(Severity s) {
        return switch (s) {
            case MALICIOUS -> "error";
            case SUSPICIOUS -> "warning";
            default -> "note";
        };
    }

    static String securitySeverity(Severity s) {
        return switch (s) {
            case MALICIOUS -> "9.0";
            case SUSPICIOUS -> "6.0";
            case NOTICE -> "2.0";
            default -> "0.0";
        };
    }

    private static String camel(String slug) {
        StringBuilder sb = new StringBuilder();
        for (String p : slug.split("-")) {
            if (!p.isEmpty()) {
                sb.append(Character.toUpperCase(p.charAt(0))).append(p.substring(1).toLowerCase(Locale.ROOT));
            }
        }
        return sb.toString();
    }
}

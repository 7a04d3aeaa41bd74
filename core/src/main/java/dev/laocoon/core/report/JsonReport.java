package dev.laocoon.core.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import java.io.IOException;
import java.io.Writer;
import java.util.Map;

/** Writes a scan as JSON (schema documented in README.md, "JSON output"). */
public final class JsonReport {
    public static final String SCHEMA_VERSION = "1";

    private JsonReport() {
    }

    public static void write(ScanReport report, Severity failOn, String version, Writer out) throws IOException {
        write(report, Accepted.NONE, false, failOn, version, out);
    }

    /**
     * As {@link #write(ScanReport, Severity, String, Writer)}, with the findings a baseline accepted
     * kept and marked {@code "suppressed": true} with their {@code "justification"}; with
     * {@code baseline}, each file also has {@code "unacceptedVerdict"} (what its findings that were
     * not accepted say: what {@code --fail-on} judged) and the summary counts {@code "accepted"}.
     */
    public static void write(ScanReport report, Accepted accepted, boolean baseline, Severity failOn, String version,
                             Writer out) throws IOException {
        try (JsonGenerator g = JsonFactory.builder().disable(StreamWriteFeature.AUTO_CLOSE_TARGET).build()
                .createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("schema", SCHEMA_VERSION);
            g.writeObjectFieldStart("tool");
            g.writeStringField("name", "laocoon");
            g.writeStringField("version", version);
            g.writeEndObject();
            g.writeArrayFieldStart("files");
            for (int i = 0; i < report.files().size(); i++) {
                FileReport f = report.files().get(i);
                g.writeStartObject();
                g.writeStringField("path", f.path());
                g.writeStringField("format", f.formatLabel());
                g.writeStringField("verdict", f.verdictLabel());
                if (baseline && !f.failed()) {
                    g.writeStringField("unacceptedVerdict", accepted.unaccepted(report, i).label());
                }
                if (f.size() >= 0) {
                    g.writeNumberField("size", f.size());
                }
                if (f.error() != null) {
                    g.writeStringField("error", f.error());
                }
                if (f.sha256() != null) {
                    g.writeStringField("sha256", f.sha256());
                }
                if (f.bytesRead() >= 0) {
                    g.writeNumberField("bytesRead", f.bytesRead());
                }
                if (f.source() != null) {
                    dev.laocoon.core.RemoteSource src = f.source();
                    g.writeObjectFieldStart("source");
                    g.writeStringField("kind", src.kind());
                    g.writeStringField("url", src.url());
                    if (src.revision() != null) {
                        g.writeStringField("revision", src.revision());
                    }
                    g.writeNumberField("bytesRead", src.transferred());
                    g.writeNumberField("requests", src.requests());
                    if (f.sha256() != null) {
                        g.writeStringField("sha256", src.sha256Claimed() ? "claimed" : "computed");
                    }
                    g.writeEndObject();
                }
                g.writeArrayFieldStart("findings");
                for (int k = 0; k < f.findings().size(); k++) {
                    Finding x = f.findings().get(k);
                    g.writeStartObject();
                    g.writeStringField("rule", x.rule().id());
                    g.writeStringField("name", x.rule().slug());
                    g.writeStringField("severity", x.severity().label());
                    g.writeStringField("message", x.message());
                    g.writeObjectFieldStart("location");
                    g.writeStringField("file", x.location().file());
                    g.writeArrayFieldStart("members");
                    for (String m : x.location().members()) {
                        g.writeString(m);
                    }
                    g.writeEndArray();
                    if (x.location().pickleIndex() >= 0) {
                        g.writeNumberField("pickle", x.location().pickleIndex());
                    }
                    if (x.location().offset() >= 0) {
                        g.writeNumberField("offset", x.location().offset());
                    }
                    var w = x.location().within();
                    if (w != null) {
                        g.writeObjectFieldStart("within");
                        g.writeStringField("kind", w.kind());
                        g.writeStringField("path", w.path());
                        if (w.line() > 0) {
                            g.writeNumberField("line", w.line());
                            g.writeNumberField("column", w.column());
                        }
                        g.writeStringField("display", w.render());
                        g.writeEndObject();
                    }
                    g.writeStringField("display", x.location().render());
                    g.writeEndObject();
                    g.writeStringField("evidence", x.evidence());
                    if (!x.related().isEmpty()) {
                        // the audit's chain link: the model file a pod or workflow loads
                        g.writeArrayFieldStart("related");
                        for (dev.laocoon.core.finding.Location r : x.related()) {
                            g.writeString(r.render());
                        }
                        g.writeEndArray();
                    }
                    String why = accepted.justification(i, k);
                    if (why != null) {
                        g.writeBooleanField("suppressed", true);
                        g.writeStringField("justification", why);
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("summary");
            g.writeNumberField("files", report.files().size());
            for (Map.Entry<Severity, Integer> e : report.countByVerdict().entrySet()) {
                g.writeNumberField(e.getKey().label(), e.getValue());
            }
            g.writeNumberField("errors", report.errors());
            g.writeNumberField("findings", report.findings());
            if (baseline) {
                g.writeNumberField("accepted", accepted.count(report));
            }
            g.writeStringField("failOn", failOn.label());
            g.writeBooleanField("failed", accepted.reaches(report, failOn));
            g.writeNumberField("seconds", report.nanos() / 1e9);
            g.writeEndObject();
            g.writeEndObject();
        }
    }
}

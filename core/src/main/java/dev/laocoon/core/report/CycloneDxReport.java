package dev.laocoon.core.report;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.Format;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * A CycloneDX 1.6 bill of materials of the scanned files (an ML-BOM): one component per file,
 * typed {@code machine-learning-model} when one of its formats is a model format, {@code data}
 * for data formats and {@code file} otherwise, with its SHA-256 (when the scan computed it) and
 * properties {@code laocoon:format}, {@code laocoon:verdict} and {@code laocoon:rules}; each
 * finding is a {@code vulnerabilities} entry whose id is the rule id, rated critical (malicious),
 * high (suspicious) or info (notice), affecting the component's {@code bom-ref}. "Format
 * unrecognised" (LAO002) is no vulnerability; it shows in the component's verdict and rules.
 */
public final class CycloneDxReport {
    public static final String SPEC_VERSION = "1.6";

    /** Formats that are a model (or hold one a loader turns into a model). */
    static final Set<Format> MODEL = EnumSet.of(Format.PYTORCH_ZIP, Format.TORCHSCRIPT, Format.KERAS_V3,
            Format.PYTORCH_LEGACY_TAR, Format.KERAS_H5, Format.GGUF, Format.SAFETENSORS, Format.TF_SAVEDMODEL,
            Format.ONNX, Format.KERAS_METADATA, Format.PICKLE, Format.JOBLIB, Format.JOBLIB_ZFILE,
            Format.PYTORCH_LEGACY, Format.KERAS_JSON, Format.NPY_OBJECT);
    /** Formats that are data: arrays, tensor data, configurations. */
    static final Set<Format> DATA = EnumSet.of(Format.NPY, Format.HDF5, Format.ONNX_EXTERNAL_DATA, Format.JSON,
            Format.JSON_CONFIG);

    private CycloneDxReport() {
    }

    /**
     * @param serial   the BOM's serial number (a random UUID for each scan in the CLI)
     * @param docsBase base URL of the rule pages
     */
    public static void write(ScanReport report, String version, String docsBase, Instant time, UUID serial,
                             Writer out) throws IOException {
        write(report, Accepted.NONE, version, docsBase, time, serial, out);
    }

    /**
     * As {@link #write(ScanReport, String, String, Instant, UUID, Writer)}; a finding a baseline
     * accepted has an {@code analysis} with response {@code will_not_fix} and the justification.
     */
    public static void write(ScanReport report, Accepted accepted, String version, String docsBase, Instant time,
                             UUID serial, Writer out) throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        String base = docsBase.endsWith("/") ? docsBase : docsBase + "/";
        List<FileReport> files = report.files();
        try (JsonGenerator g = JsonFactory.builder().disable(StreamWriteFeature.AUTO_CLOSE_TARGET).build()
                .createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("$schema", "http://cyclonedx.org/schema/bom-1.6.schema.json");
            g.writeStringField("bomFormat", "CycloneDX");
            g.writeStringField("specVersion", SPEC_VERSION);
            g.writeStringField("serialNumber", "urn:uuid:" + serial);
            g.writeNumberField("version", 1);
            g.writeObjectFieldStart("metadata");
            g.writeStringField("timestamp", time.truncatedTo(ChronoUnit.SECONDS).toString());
            g.writeObjectFieldStart("tools");
            g.writeArrayFieldStart("components");
            g.writeStartObject();
            g.writeStringField("type", "application");
            g.writeStringField("name", "laocoon");
            g.writeStringField("version", version);
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
            g.writeArrayFieldStart("components");
            for (int i = 0; i < files.size(); i++) {
                component(g, files.get(i), ref(i), cwd);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("vulnerabilities");
            for (int i = 0; i < files.size(); i++) {
                int n = 0;
                for (int k = 0; k < files.get(i).findings().size(); k++) {
                    Finding x = files.get(i).findings().get(k);
                    if (x.rule() != Rule.FORMAT_UNKNOWN) {
                        vulnerability(g, x, ref(i), ref(i) + "-finding-" + n++, base, accepted.justification(i, k));
                    }
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        }
    }

    /** Unique within the BOM: the file's place in the (sorted, stable) report. */
    private static String ref(int i) {
        return "file-" + (i + 1);
    }

    /** machine-learning-model, data or file, from the formats found (never from the name). */
    static String type(FileReport f) {
        for (Format x : f.formats()) {
            if (MODEL.contains(x)) {
                return "machine-learning-model";
            }
        }
        for (Format x : f.formats()) {
            if (DATA.contains(x)) {
                return "data";
            }
        }
        return "file";
    }

    private static void component(JsonGenerator g, FileReport f, String ref, Path cwd) throws IOException {
        String type = type(f);
        g.writeStartObject();
        g.writeStringField("type", type);
        g.writeStringField("bom-ref", ref);
        g.writeStringField("name", GitlabSastReport.projectPath(f.path(), cwd));
        if (f.sha256() != null) {
            g.writeArrayFieldStart("hashes");
            g.writeStartObject();
            g.writeStringField("alg", "SHA-256");
            g.writeStringField("content", f.sha256());
            g.writeEndObject();
            g.writeEndArray();
        }
        if (type.equals("data")) {
            // the schema gives data components their content as "data" entries
            g.writeArrayFieldStart("data");
            g.writeStartObject();
            g.writeStringField("type", f.formats().contains(Format.JSON_CONFIG) ? "configuration" : "dataset");
            g.writeStringField("name", GitlabSastReport.projectPath(f.path(), cwd));
            g.writeEndObject();
            g.writeEndArray();
        }
        g.writeArrayFieldStart("properties");
        property(g, "laocoon:format", f.formatLabel());
        property(g, "laocoon:verdict", f.verdictLabel());
        Set<String> rules = new LinkedHashSet<>();
        for (Finding x : f.findings()) {
            rules.add(x.rule().id());
        }
        if (!rules.isEmpty()) {
            property(g, "laocoon:rules", String.join(",", rules));
        }
        if (f.size() >= 0) {
            property(g, "laocoon:size", Long.toString(f.size()));
        }
        if (f.error() != null) {
            property(g, "laocoon:error", f.error());
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void vulnerability(JsonGenerator g, Finding x, String component, String ref, String base,
                                      String accepted) throws IOException {
        g.writeStartObject();
        g.writeStringField("bom-ref", ref);
        g.writeStringField("id", x.rule().id());
        g.writeObjectFieldStart("source");
        g.writeStringField("name", "Laocoon");
        g.writeStringField("url", base + x.rule().id() + ".md");
        g.writeEndObject();
        g.writeArrayFieldStart("ratings");
        g.writeStartObject();
        g.writeStringField("severity", severity(x.severity()));
        g.writeStringField("method", "other");
        g.writeEndObject();
        g.writeEndArray();
        g.writeStringField("description", x.message());
        String evidence = x.evidence().isEmpty() ? "" : "Evidence: " + x.evidence() + ". ";
        g.writeStringField("detail", evidence + "Location: " + x.location().render() + ".");
        if (accepted != null) {
            g.writeObjectFieldStart("analysis");
            g.writeArrayFieldStart("response");
            g.writeString("will_not_fix");
            g.writeEndArray();
            g.writeStringField("detail", "Accepted by the project's Laocoon baseline: " + accepted);
            g.writeEndObject();
        }
        g.writeArrayFieldStart("affects");
        g.writeStartObject();
        g.writeStringField("ref", component);
        g.writeEndObject();
        g.writeEndArray();
        g.writeArrayFieldStart("properties");
        property(g, "laocoon:rule", x.rule().slug());
        property(g, "laocoon:severity", x.severity().label());
        property(g, "laocoon:location", x.location().render());
        g.writeEndArray();
        g.writeEndObject();
    }

    /** CycloneDX's severities: malicious is critical, suspicious high, notice info. */
    static String severity(Severity s) {
        return switch (s) {
            case MALICIOUS -> "critical";
            case SUSPICIOUS -> "high";
            case NOTICE -> "info";
            case SAFE -> "none";
        };
    }

    private static void property(JsonGenerator g, String name, String value) throws IOException {
        g.writeStartObject();
        g.writeStringField("name", name);
        g.writeStringField("value", value);
        g.writeEndObject();
    }
}

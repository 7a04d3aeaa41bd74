package dev.laocoon.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.report.JsonReport;
import java.io.IOException;
import java.io.StringWriter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The answers' JSON: the per-file object of {@code laocoon scan --format json}, plus the service's fields. */
final class Results {
    private Results() {
    }

    /** The per-file JSON object core's {@link JsonReport} writes for this report. */
    static ObjectNode fileObject(FileReport r, String version) {
        StringWriter w = new StringWriter();
        try {
            JsonReport.write(new ScanReport(List.of(r), r.elapsed().toNanos()), Severity.SUSPICIOUS, version, w);
            JsonNode all = Http.JSON.readTree(w.toString());
            return (ObjectNode) all.get("files").get(0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code scanId}, {@code status}, the per-file fields, then {@code sha256}. */
    static ObjectNode answer(String scanId, String status, ObjectNode file, String sha256) {
        ObjectNode n = Http.JSON.createObjectNode();
        n.put("scanId", scanId);
        n.put("status", status);
        n.setAll(file);
        n.put("sha256", sha256);
        return n;
    }

    /** Distinct rule ids of a report's findings, in order. */
    static Set<String> rules(FileReport r) {
        Set<String> s = new LinkedHashSet<>();
        for (Finding f : r.findings()) {
            s.add(f.rule().id());
        }
        return s;
    }

    /** The outermost format's id, for metrics. */
    static String outerFormat(FileReport r) {
        return r.formats().isEmpty() ? "unknown" : r.formats().get(0).id();
    }

    /**
     * The clamd signature for a report: {@code null} when the verdict is below {@code foundAt}; else
     * {@code Laocoon.Incomplete} when the worst finding says the file was not fully analysed, or
     * {@code Laocoon.<rule id>.<rule name>} of the worst finding.
     */
    static String signature(FileReport r, Severity foundAt) {
        if (!r.failed() && !r.verdict().atLeast(foundAt)) {
            return null;
        }
        Finding worst = null;
        for (Finding f : r.findings()) {
            if (worst == null || f.severity().compareTo(worst.severity()) > 0) {
                worst = f;
            }
        }
        if (r.failed() || worst == null || worst.rule() == Rule.ANALYSIS_INCOMPLETE || worst.rule() == Rule.FILE_UNREADABLE) {
            return "Laocoon.Incomplete";
        }
        return "Laocoon." + worst.rule().id() + "." + worst.rule().slug();
    }

    /**
     * The {@code explain} pseudo-Python of every pickle in a file, as {@code laocoon explain} prints
     * it: each pickle with the findings inside it marked inline.
     */
    static com.fasterxml.jackson.databind.node.ArrayNode explain(dev.laocoon.core.Scanner.Explained x) {
        com.fasterxml.jackson.databind.node.ArrayNode a = Http.JSON.createArrayNode();
        List<Finding> remaining = new java.util.ArrayList<>(x.report().findings());
        for (var t : x.traces()) {
            List<Finding> mine = new java.util.ArrayList<>();
            List<String> members = t.getKey().members();
            remaining.removeIf(f -> {
                boolean m = f.location().members().size() >= members.size()
                        && f.location().members().subList(0, members.size()).equals(members);
                if (m) {
                    mine.add(f);
                }
                return m;
            });
            ObjectNode o = a.addObject();
            o.put("location", t.getKey().render());
            o.put("text", dev.laocoon.core.report.Printable.lines(
                    dev.laocoon.core.explain.PickleExplainer.explain(t.getValue(), mine, t.getKey())));
        }
        return a;
    }

    /** The pickle imports of a file's pickles with their safety as the knowledge base judges them. */
    static com.fasterxml.jackson.databind.node.ArrayNode imports(dev.laocoon.core.Scanner.Explained x,
                                                                 dev.laocoon.core.kb.KnowledgeBase kb) {
        com.fasterxml.jackson.databind.node.ArrayNode a = Http.JSON.createArrayNode();
        Set<String> seen = new LinkedHashSet<>();
        for (var t : x.traces()) {
            for (var p : t.getValue().pickles()) {
                for (var e : p.events()) {
                    if (e instanceof dev.laocoon.core.internal.pickle.TraceEvent.Import imp) {
                        var g = imp.name();
                        String module = g.resolvedModule() != null ? g.resolvedModule() : g.module();
                        String name = g.resolvedName() != null ? g.resolvedName() : g.name();
                        if (!seen.add(module + "\n" + name)) {
                            continue;
                        }
                        var entry = kb.lookup(kb.canonical(module + "." + name));
                        String safety = entry == null ? "suspicious"
                                : entry.severity() == Severity.MALICIOUS ? "dangerous"
                                : entry.severity() == Severity.SUSPICIOUS ? "suspicious" : "innocuous";
                        ObjectNode o = a.addObject();
                        o.put("module", module);
                        o.put("name", name);
                        o.put("safety", safety);
                    }
                }
            }
        }
        return a;
    }

    /**
     * The SARIF log of one file's report (as {@code laocoon scan --format sarif}) as stored: with an
     * empty rule table, which {@link #view} puts back (the table is the same for every scan, tens of
     * KiB of rule pages that every stored result would otherwise repeat).
     */
    static JsonNode sarif(FileReport r, String version) {
        return sarif(new ScanReport(List.of(r), r.elapsed().toNanos()), version);
    }

    private static final dev.laocoon.core.report.SarifReport.Options SARIF_STORED =
            dev.laocoon.core.report.SarifReport.Options.defaults().withoutRuleTable();
    private static volatile JsonNode ruleTable;

    /** The SARIF rule table (tool.driver.rules) every stored log leaves out; made once. */
    private static JsonNode ruleTable() {
        JsonNode t = ruleTable;
        if (t == null) {
            try {
                t = Http.JSON.readTree(dev.laocoon.core.report.SarifReport.ruleTable(
                        dev.laocoon.core.report.SarifReport.Options.defaults()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            ruleTable = t;
        }
        return t;
    }

    /** A stored SARIF log as answered: with the rule table back in place when it was left out. */
    static JsonNode sarifView(JsonNode stored) {
        JsonNode driver = stored.path("runs").path(0).path("tool").path("driver");
        if (!(driver instanceof ObjectNode d) || d.path("rules").size() > 0) {
            return stored;
        }
        ObjectNode copy = stored.deepCopy();
        ((ObjectNode) copy.path("runs").path(0).path("tool").path("driver")).set("rules", ruleTable());
        return copy;
    }

    /**
     * What is stored for a finished scan: {@code answer} (the default JSON), and what the other views
     * need: {@code explain}, {@code imports}, {@code sarif}.
     */
    static ObjectNode envelope(ObjectNode answer, com.fasterxml.jackson.databind.node.ArrayNode explain,
                               com.fasterxml.jackson.databind.node.ArrayNode imports, JsonNode sarif) {
        ObjectNode e = Http.JSON.createObjectNode();
        e.set("answer", answer);
        e.set("explain", explain == null ? Http.JSON.createArrayNode() : explain);
        e.set("imports", imports == null ? Http.JSON.createArrayNode() : imports);
        e.set("sarif", sarif);
        return e;
    }

    /** A stored envelope rendered as asked: {@code view} json (default), hf or sarif; explain adds the pseudo-Python. */
    static JsonNode view(JsonNode envelope, String view, boolean explain) {
        ObjectNode answer = envelope.get("answer").deepCopy();
        if ("sarif".equals(view)) {
            return sarifView(envelope.get("sarif"));
        }
        if ("hf".equals(view) && answer.path("format").asText().equals("repository")) {
            ObjectNode n = Http.JSON.createObjectNode();
            n.put("path", answer.path("path").asText());
            n.put("scanId", answer.path("scanId").asText());
            n.put("verdict", answer.path("verdict").asText());
            com.fasterxml.jackson.databind.node.ArrayNode files = n.putArray("files");
            for (JsonNode f : answer.path("files")) {
                ObjectNode member = ((ObjectNode) f).deepCopy();
                member.put("scanId", answer.path("scanId").asText());
                files.add(hf(member, Http.JSON.createArrayNode()));
            }
            return n;
        }
        if ("hf".equals(view)) {
            return hf(answer, envelope.get("imports"));
        }
        if (explain) {
            answer.set("explain", envelope.get("explain"));
        }
        return answer;
    }

    /**
     * The Hugging Face hub's per-file security status shape: {@code status} safe, caution or unsafe
     * (malicious: unsafe; suspicious, notice or not fully read: caution; safe: safe) and the pickle
     * imports with their safety (innocuous, suspicious, dangerous) and the highest of them.
     */
    static ObjectNode hf(ObjectNode answer, JsonNode imports) {
        String verdict = answer.path("verdict").asText();
        String status = switch (verdict) {
            case "safe" -> "safe";
            case "malicious" -> "unsafe";
            default -> "caution";
        };
        ObjectNode n = Http.JSON.createObjectNode();
        n.put("path", answer.path("path").asText());
        n.put("scanId", answer.path("scanId").asText());
        n.put("sha256", answer.path("sha256").asText());
        ObjectNode sfs = n.putObject("securityFileStatus");
        sfs.put("status", status);
        ObjectNode scan = sfs.putObject("laocoonScan");
        scan.put("status", status);
        scan.put("verdict", verdict);
        com.fasterxml.jackson.databind.node.ArrayNode rules = scan.putArray("rules");
        for (JsonNode f : answer.path("findings")) {
            ObjectNode o = rules.addObject();
            o.put("rule", f.path("rule").asText());
            o.put("severity", f.path("severity").asText());
            o.put("message", f.path("message").asText());
        }
        ObjectNode pis = sfs.putObject("pickleImportScan");
        String highest = "innocuous";
        for (JsonNode i : imports) {
            String sft = i.path("safety").asText();
            if (sft.equals("dangerous") || (sft.equals("suspicious") && highest.equals("innocuous"))) {
                highest = sft;
            }
        }
        pis.put("status", imports.size() == 0 ? "safe" : status);
        pis.put("highestSafetyLevel", highest);
        pis.set("imports", imports.deepCopy());
        return n;
    }

    /** The SARIF log of a whole report. */
    static JsonNode sarif(ScanReport r, String version) {
        StringWriter w = new StringWriter();
        try {
            dev.laocoon.core.report.SarifReport.write(r, List.of(), version, SARIF_STORED, w);
            return Http.JSON.readTree(w.toString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A repository's answer: one per-file object per member (as {@code laocoon scan --format json}
     * of the folder), the summary, and the repository verdict: the worst of its members'.
     */
    static ObjectNode repository(String scanId, String name, long size, String sha256, ScanReport rep, String version) {
        StringWriter w = new StringWriter();
        JsonNode all;
        try {
            JsonReport.write(rep, Severity.SUSPICIOUS, version, w);
            all = Http.JSON.readTree(w.toString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Severity worst = Severity.SAFE;
        for (FileReport f : rep.files()) {
            worst = Severity.max(worst, f.verdict());
        }
        ObjectNode n = Http.JSON.createObjectNode();
        n.put("scanId", scanId);
        n.put("status", "done");
        n.put("path", name);
        n.put("format", "repository");
        n.put("verdict", worst.label());
        n.put("size", size);
        n.put("sha256", sha256);
        n.set("files", all.get("files"));
        n.set("summary", all.get("summary"));
        return n;
    }
}

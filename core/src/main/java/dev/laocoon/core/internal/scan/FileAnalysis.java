package dev.laocoon.core.internal.scan;

import dev.laocoon.core.internal.analysis.PickleAnalyzer;
import dev.laocoon.core.internal.container.ZipArchive;
import dev.laocoon.core.internal.container.ZipEntry;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.internal.pickle.DataOnlyWalk;
import dev.laocoon.core.internal.pickle.PickleLimits;
import dev.laocoon.core.internal.pickle.PickleMachine;
import dev.laocoon.core.internal.pickle.PickleResult;
import dev.laocoon.core.internal.pickle.PickleTrace;
import dev.laocoon.core.internal.pickle.TraceEvent;
import dev.laocoon.core.internal.pickle.Value;
import dev.laocoon.core.source.ArrayByteSource;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.SliceByteSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * The analysis of one file: detects every format its content matches (a file can be several
 * things at once), analyses each, and recurses into containers (zip members, compressed
 * payloads) within limits. Collects findings for the file's verdict.
 */
public final class FileAnalysis {
    static final int MAX_DEPTH = 8;
    static final int MAX_MEMBERS = 100_000;
    static final long MAX_INFLATED = 4L << 30;
    static final long MAX_IN_MEMORY = 256L << 20;
    static final long BOMB_RATIO = 1000;
    /** torch.save's legacy magic number (the first pickle of a legacy checkpoint). */
    static final BigInteger TORCH_LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);

    private final KnowledgeBase kb;
    private final PickleLimits limits;
    public final List<Finding> findings = new java.util.ArrayList<>();
    public final Set<String> formats = new LinkedHashSet<>() {
        @Override
        public boolean add(String f) {
            // Formats describe the file and its compression wrappers, not archive members.
            return insideArchive == 0 && super.add(f);
        }
    };
    private int insideArchive;
    /** When not null, every pickle stream analysed is kept here with its location (for explain). */
    public java.util.List<java.util.Map.Entry<Location, PickleTrace>> traces;
    private long inflated;
    private int members;

    public FileAnalysis(KnowledgeBase kb, PickleLimits limits) {
        this.kb = kb;
        this.limits = limits;
    }

    public void analyze(ByteSource src, Location where, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            findings.add(new Finding(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                    "containers nested deeper than " + MAX_DEPTH + " levels were not analysed", where, ""));
            return;
        }
        byte[] head = new byte[16];
        int n = src.readFully(0, head, 0, 16);
        boolean any = false;
        ZipArchive zip = n >= 4 ? ZipArchive.read(src, MAX_MEMBERS) : null;
        if (zip != null && !zip.entries().isEmpty()) {
            any = true;
            analyzeZip(src, zip, where, depth);
        }
        if (n >= 3 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b && head[2] == 8) {
            any = true;
            formats.add("gzip");
            // read as Python's gzip reads it: every member (the JDK's reader stops early in some cases)
            pythonLike(src, where, depth, "gunzip", dev.laocoon.core.internal.container.PyGzipInputStream::new);
        } else if (n >= 4 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h' && head[3] >= '1' && head[3] <= '9') {
            any = true;
            formats.add("bz2");
            // Commons' reader loses the streams it decoded when junk follows them; Python's bz2 keeps
            // them and ignores the junk: then the first stream alone is read and analysed.
            decompressed(src, where, depth, "bunzip2",
                    in -> new org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream(in, true),
                    in -> new org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream(in, false));
        } else if (n >= 6 && (head[0] & 0xff) == 0xfd && head[1] == '7' && head[2] == 'z' && head[3] == 'X'
                && head[4] == 'Z' && head[5] == 0) {
            any = true;
            formats.add("xz");
            lzma(src, where, depth, "unxz");
        } else if (n >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
                && (head[3] & 0xff) == 0xfd) {
            any = true;
            formats.add("zstd");
            decompressed(src, where, depth, "unzstd", in -> new io.airlift.compress.zstd.ZstdInputStream(in));
        } else if (n >= 4 && head[0] == 0x04 && head[1] == 0x22 && head[2] == 0x4d && head[3] == 0x18) {
            any = true;
            formats.add("lz4");
            decompressed(src, where, depth, "unlz4",
                    in -> new org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream(in, true));
        } else if (n >= 2 && (head[0] & 0x0f) == 8 && ((head[0] & 0xff) << 8 | (head[1] & 0xff)) % 31 == 0
                && (head[0] & 0xff) >> 4 <= 7 && (head[1] & 0x20) == 0) {
            // zlib header (CMF/FLG check); only treated as zlib when it inflates
            any |= decompressed(src, where, depth, "zlib", in -> new InflaterInputStream(in, new Inflater(), 65536));
        } else if (n >= 4 && head[0] == 'Z' && head[1] == 'F' && src.size() > 21) {
            // joblib < 0.10 "Z-file", still read by joblib.load (numpy_pickle_compat.read_zfile): "ZF", the
            // pickle's length as int(..., 16) text in 19 characters, an optional space, then zlib data
            byte[] len = new byte[20];
            src.readFully(2, len, 0, 20);
            String hex = new String(len, 0, 19, java.nio.charset.StandardCharsets.ISO_8859_1).strip().replace("_", "");
            if (hex.matches("[+-]?(0[xX])?[0-9a-fA-F]+")) {
                long off = len[19] == ' ' ? 22 : 21;
                any = true;
                formats.add("joblib-zfile");
                decompressed(new SliceByteSource(src, off, src.size() - off), where, depth, "joblib-zfile",
                        in -> new InflaterInputStream(in, new Inflater(), 65536));
            }
        }
        if (dev.laocoon.core.internal.container.PyLzmaInputStream.looksLikeAlone(head, n)) {
            // LZMA-alone as Python's lzma.open (format auto) accepts it: any properties below 225 and
            // any dictionary size liblzma takes, not only xz's defaults; counted only when it decodes
            // (a separate test: such a header can also start a zlib stream or other data)
            any |= lzma(src, where, depth, "unlzma");
        }
        if (n >= 6 && head[0] == '7' && head[1] == 'z' && (head[2] & 0xff) == 0xbc && (head[3] & 0xff) == 0xaf
                && head[4] == 0x27 && head[5] == 0x1c) {
            any = true;
            formats.add("7z");
            sevenZip(src, where, depth);
        }
        if (isTar(src)) {
            any = true;
            formats.add("tar");
            tar(src, where, depth);
        }
        if (n >= 8 && (head[0] & 0xff) == 0x89 && head[1] == 'H' && head[2] == 'D' && head[3] == 'F' && head[4] == '\r'
                && head[5] == '\n' && head[6] == 0x1a && head[7] == '\n') {
            any = true;
            hdf5(src, where);
            return;
        }
        if (dev.laocoon.core.internal.format.GgufReader.looksLike(src)) {
            any = true;
            gguf(src, where);
            return;
        }
        if (dev.laocoon.core.internal.format.SafetensorsValidator.looksLike(src)) {
            any = true;
            safetensors(src, where, depth);
            return;
        }
        if (n >= 10 && (head[0] & 0xff) == 0x93 && head[1] == 'N' && head[2] == 'U' && head[3] == 'M' && head[4] == 'P'
                && head[5] == 'Y') {
            any = true;
            analyzeNpy(src, where);
            return;
        }
        if (n >= 2 && head[0] == 0x08 && !any && src.size() <= MAX_IN_MEMORY && protobufModel(src, where)) {
            return;
        }
        if (n >= 2 && head[0] == 0x0a && !any && src.size() <= MAX_IN_MEMORY && kerasMetadata(src, where)) {
            return;
        }
        long pickleEnd = zip != null && !zip.entries().isEmpty() ? Math.max(0, zip.firstLocalHeader()) : src.size();
        if (pickleEnd > 0 && !(zip != null && pickleEnd == 0)) {
            ByteSource region = pickleEnd == src.size() ? src : new SliceByteSource(src, 0, pickleEnd);
            any |= analyzePickleStream(region, where, null, n > 0 ? head[0] & 0xff : -1, n > 1 ? head[1] : -1);
        }
        if (!any && textRepositoryFile(src, where)) {
            return;
        }
        if (!any) {
            findings.add(new Finding(Rule.FORMAT_UNKNOWN, Severity.NOTICE,
                    src.size() == 0 ? "empty file" : "content is not a format Laocoon analyses; nothing in it was judged",
                    where, ""));
        }
    }

    // ------------------------------------------------------------------ whole reads

    private ByteSource wholeOf;
    private byte[] whole;

    /**
     * The whole content of a (bounded) source. Several checks of one file need it (protobuf
     * models, text repository files, JSON), so the last one read is kept.
     */
    private byte[] readAll(ByteSource src) throws IOException {
        if (src != wholeOf) {
            byte[] all = new byte[(int) src.size()];
            int n = src.readFully(0, all, 0, all.length);
            whole = n == all.length ? all : java.util.Arrays.copyOf(all, n);
            wholeOf = src;
        }
        return whole;
    }

    // ------------------------------------------------------------------ repository files

    private static final String LFS = "version https://git-lfs.github.com/spec/v1";

    /** Git LFS pointers and JSON configs naming remote code (auto_map); true when recognised. */
    private boolean textRepositoryFile(ByteSource src, Location where) throws IOException {
        if (src.size() < 2) {
            return false;
        }
        if (src.size() > (4 << 20)) {
            return src.size() <= MAX_JSON && json(src, where);
        }
        String text = new String(readAll(src), java.nio.charset.StandardCharsets.UTF_8);
        if (text.startsWith(LFS)) {
            formats.add("lfs-pointer");
            findings.add(new Finding(Rule.REPO_LFS_POINTER, Severity.NOTICE,
                    "Git LFS pointer: the file's content was never downloaded, so it was not scanned", where,
                    text.lines().filter(l -> l.startsWith("oid ") || l.startsWith("size ")).reduce((a, b) -> a + ", " + b)
                            .orElse("")));
            return true;
        }
        String t = text.strip();
        if (!t.startsWith("{") || !t.contains("\"auto_map\"")) {
            return json(src, where);
        }
        try {
            com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper(Json.FACTORY).readTree(t);
            com.fasterxml.jackson.databind.JsonNode map = root.get("auto_map");
            if (map == null || !map.isObject()) {
                return false;
            }
            java.util.Set<String> files = new java.util.TreeSet<>();
            map.elements().forEachRemaining(v -> {
                for (com.fasterxml.jackson.databind.JsonNode x : v.isArray() ? v : java.util.List.of(v)) {
                    String ref = x.asText("");
                    String mod = ref.contains("--") ? ref.substring(ref.indexOf("--") + 2) : ref;
                    int dot = mod.lastIndexOf('.');
                    if (dot > 0) {
                        files.add(mod.substring(0, dot).replace('.', '/') + ".py"
                                + (ref.contains("--") ? " (from " + ref.substring(0, ref.indexOf("--")) + ")" : ""));
                    }
                }
            });
            findings.add(new Finding(Rule.REPO_REMOTE_CODE, Severity.NOTICE,
                    "auto_map makes loaders with trust_remote_code import this repository's code: " + String.join(", ", files),
                    where, map.toString().length() > 200 ? map.toString().substring(0, 200) + "..." : map.toString()));
            // the same document may also be a Keras model config (model_from_json ignores auto_map)
            json(src, where);
            formats.remove("json");
            formats.add("json-config");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ pickle streams

    /** Analyses the data as a pickle stream if a loader would treat it as one. */
    private boolean analyzePickleStream(ByteSource src, Location where, PickleAnalyzer.PersistentIds ids, int b0, int b1)
            throws IOException {
        return analyzePickleStream(src, where, ids, b0, b1, JOBLIB);
    }

    private boolean analyzePickleStream(ByteSource src, Location where, PickleAnalyzer.PersistentIds ids, int b0, int b1,
                                        dev.laocoon.core.internal.pickle.RawData raw) throws IOException {
        if (ids == null && raw == JOBLIB && traces == null && src.size() > 0) {
            // Plain data is the bulk of large pickles: a value-free walk proves it quickly.
            if (DataOnlyWalk.clean(src, limits, System.nanoTime() + limits.maxTime().toNanos())) {
                formats.add("pickle");
                return true;
            }
        }
        kb.preload(); // the analysis below needs the knowledge base: read it while the machine runs
        PickleTrace trace = PickleMachine.run(src, 0, limits, raw);
        if (!trace.looksLikePickle(b0, b1)) {
            return false;
        }
        PickleAnalyzer analyzer = new PickleAnalyzer(kb, limits);
        if (traces != null) {
            traces.add(java.util.Map.entry(where, trace));
        }
        if (isLegacyTorch(trace)) {
            formats.add("pytorch-legacy");
            legacyTorch(trace, where, analyzer);
            return true;
        }
        // loops, not streams: the first lambda of a run costs milliseconds, and this runs per pickle
        List<TraceEvent.RawBytes> raws = new java.util.ArrayList<>();
        for (PickleResult p : trace.pickles()) {
            for (TraceEvent e : p.events()) {
                if (e instanceof TraceEvent.RawBytes r) {
                    raws.add(r);
                }
            }
        }
        formats.add(raws.isEmpty() ? "pickle" : "joblib");
        findings.addAll(analyzer.analyze(trace, where, ids));
        if (!raws.isEmpty() && raw == JOBLIB) {
            hiddenInArrays(src, where, ids, raws, analyzer);
        }
        return true;
    }

    private static final dev.laocoon.core.internal.container.JoblibArrays JOBLIB = new dev.laocoon.core.internal.container.JoblibArrays();

    /**
     * A plain pickle.load of a joblib file reads the array bytes as opcodes. Whatever that
     * interpretation imports or calls inside the array data is reported too.
     */
    private void hiddenInArrays(ByteSource src, Location where, PickleAnalyzer.PersistentIds ids,
                                List<TraceEvent.RawBytes> raws, PickleAnalyzer analyzer) {
        PickleTrace plain = PickleMachine.run(src, 0, limits);
        for (Finding f : analyzer.analyze(plain, where, ids)) {
            long off = f.location().offset();
            boolean inside = raws.stream().anyMatch(r -> off >= r.start() && off < r.start() + r.length());
            if (inside && f.location().members().equals(where.members())
                    && f.rule() != Rule.PICKLE_MALFORMED && f.rule() != Rule.PICKLE_TRUNCATED) {
                findings.add(new Finding(f.rule(), f.severity(),
                        "in joblib array data, read as pickle code by a plain pickle.load: " + f.message(),
                        f.location(), f.evidence()));
            }
        }
    }

    private static boolean isLegacyTorch(PickleTrace t) {
        return !t.pickles().isEmpty() && t.pickles().get(0).complete()
                && t.pickles().get(0).result() instanceof Value.Int i && i.value().equals(TORCH_LEGACY_MAGIC);
    }

    /**
     * Legacy torch.save: magic number, protocol version and sys-info pickles (plain values only),
     * the object pickle (storages by persistent id), the storage-key list, then raw storage bytes.
     */
    private void legacyTorch(PickleTrace trace, Location where, PickleAnalyzer analyzer) {
        List<PickleResult> ps = trace.pickles();
        for (int i = 0; i < Math.min(3, ps.size()); i++) {
            for (TraceEvent e : ps.get(i).events()) {
                String what = e instanceof TraceEvent.Import imp ? "imports " + imp.name().display()
                        : e instanceof TraceEvent.Invoke inv ? "calls " + PickleAnalyzer.describe(inv) : null;
                if (what != null) {
                    findings.add(new Finding(Rule.TORCH_LEGACY_HEADER, Severity.MALICIOUS,
                            "header pickle " + i + " of a legacy PyTorch file " + what + "; it should hold a plain value",
                            where.at(i, e.offset()), ""));
                    break;
                }
            }
        }
        // Up to the storage-key list, the stream is pickles; what follows is raw tensor data.
        int keep = Math.min(ps.size(), 5);
        PickleTrace head = new PickleTrace(ps.subList(0, keep), trace.size(), -1);
        findings.addAll(analyzer.analyze(head, where, LEGACY_IDS));
        if (keep < 5 && ps.size() == keep && !trace.clean()) {
            PickleResult last = ps.get(ps.size() - 1);
            if (last.error() == null) {
                findings.add(new Finding(Rule.PICKLE_TRUNCATED, Severity.SUSPICIOUS,
                        "legacy PyTorch file ends before its storage-key list", where.at(keep, last.end()), ""));
            }
        }
    }

    /** Members of a PyTorch archive that hold plain text or bytes read by PyTorch itself. */
    private static final Set<String> TORCH_METADATA = Set.of("version", ".data/version", "byteorder",
            ".data/serialization_id", ".format_version", ".storage_alignment", "extra/producer_info.json");

    /**
     * An anonymous class, not a lambda: a lambda in a static initialiser would start the
     * method-handle machinery (milliseconds) in every run, legacy checkpoint or not.
     */
    private static final PickleAnalyzer.PersistentIds LEGACY_IDS = new PickleAnalyzer.PersistentIds() {
        @Override
        public String check(Value pid) {
            return legacyId(pid);
        }
    };

    private static String legacyId(Value pid) {
        if (pid instanceof Value.Container t && t.kind() == Value.Kind.TUPLE && t.keptCount() >= 5
                && t.item(0) instanceof Value.Str s && s.text().equals("storage")
                && t.item(1) instanceof Value.Global && t.item(2) instanceof Value.Str) {
            return null;
        }
        if (pid instanceof Value.Container t && t.kind() == Value.Kind.TUPLE && t.keptCount() >= 1
                && t.item(0) instanceof Value.Str s && s.text().equals("module")) {
            return null; // legacy source-code records of saved modules
        }
        return "persistent id is not a legacy storage reference ('storage', type, key, location, size, view)";
    }

    /** JSON files up to this size are read (tokenizer.json files reach tens of megabytes). */
    static final long MAX_JSON = 128L << 20;

    /**
     * Reads JSON as Python's json module does, which also accepts NaN, Infinity and -Infinity.
     * Built on first use (a holder class): most files are not JSON, and start-up time counts.
     */
    static final class Json {
        static final com.fasterxml.jackson.core.JsonFactory FACTORY = com.fasterxml.jackson.core.JsonFactory.builder()
                .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

        private Json() {
        }
    }

    /**
     * A file that is one whole JSON value is data: {@code json}, no finding. One that is a Keras
     * model config ({@code model.to_json()}: {@code class_name} and {@code config} at the top, which
     * {@code model_from_json} deserializes, Lambda layers included) is checked as a Keras config.
     */
    private boolean json(ByteSource src, Location where) throws IOException {
        byte[] h = new byte[2];
        long start = 0;
        while (start < src.size() && src.readFully(start, h, 0, 1) == 1 && Character.isWhitespace(h[0])) {
            start++;
        }
        // Python's json.loads(bytes) also reads UTF-8 with a BOM and UTF-16/32 (with or without a BOM);
        // Jackson detects the same encodings from the first bytes
        boolean unicode = start == 0 && src.readFully(0, h, 0, 2) == 2 && unicodeJson(h[0], h[1]);
        if (h[0] != '{' && h[0] != '[' && !unicode) {
            return false;
        }
        // Keras 3's model_from_json (deserialize_keras_object) also walks lists and dicts without
        // class_name/config at the top, so a class_name+config object anywhere is a Keras config
        boolean kerasObject = false;
        java.util.BitSet className = new java.util.BitSet();
        java.util.BitSet config = new java.util.BitSet();
        // small files were already read whole (textRepositoryFile); large ones are streamed
        try (com.fasterxml.jackson.core.JsonParser parser = src == wholeOf
                ? Json.FACTORY.createParser(whole) : Json.FACTORY.createParser(new SourceInputStream(src))) {
            int depth = 0;
            com.fasterxml.jackson.core.JsonToken tok;
            while ((tok = parser.nextToken()) != null) {
                if (tok == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                    if (parser.currentName().equals("class_name")) {
                        className.set(depth);
                    } else if (parser.currentName().equals("config")) {
                        config.set(depth);
                    }
                    kerasObject |= className.get(depth) && config.get(depth);
                }
                if (tok.isStructStart()) {
                    depth++;
                    className.clear(depth);
                    config.clear(depth);
                } else if (tok.isStructEnd()) {
                    depth--;
                    if (depth == 0) {
                        break;
                    }
                }
            }
            if (depth != 0 || parser.nextToken() != null) {
                return false; // truncated, or something after the value: not one JSON document
            }
        } catch (IOException | RuntimeException notJson) {
            // Jackson's errors, and the decoders' CharConversionException for broken UTF-16/32: not
            // one JSON document, so the file stays unrecognised (a notice, never safe)
            return false;
        }
        if (kerasObject && src.size() <= MAX_IN_MEMORY) {
            formats.add("keras-json");
            String text;
            try {
                text = jsonText(readAll(src));
            } catch (IOException unreadable) {
                findings.add(new Finding(Rule.KERAS_MALFORMED, Severity.SUSPICIOUS,
                        "Keras model JSON that cannot be read a second time: " + unreadable.getMessage(), where, ""));
                return true;
            }
            keras(text, where, "model JSON");
        } else {
            formats.add("json");
        }
        return true;
    }

    /**
     * JSON bytes as Keras's json.loads(bytes) reads them: UTF-8, or UTF-16/32 (with or without a
     * BOM), which Jackson detects the same way; text that does not decode is passed on as UTF-8,
     * where the config check reports it as not valid JSON.
     */
    private static String jsonText(byte[] b) {
        if (b.length >= 2 && unicodeJson(b[0], b[1])) {
            try {
                return new com.fasterxml.jackson.databind.ObjectMapper(Json.FACTORY).readTree(b).toString();
            } catch (IOException | RuntimeException notJson) {
                // falls through
            }
        }
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** First bytes of JSON that is not plain UTF-8: a BOM, or the zero bytes of UTF-16/32. */
    private static boolean unicodeJson(byte b0, byte b1) {
        return b0 == 0 || b1 == 0 || (b0 & 0xff) == 0xef || (b0 & 0xff) == 0xfe || (b0 & 0xff) == 0xff;
    }

    // ------------------------------------------------------------------ keras

    private void hdf5(ByteSource src, Location where) {
        formats.add("hdf5");
        try {
            io.jhdf.HdfFile h;
            if (src instanceof dev.laocoon.core.source.FileByteSource f) {
                h = new io.jhdf.HdfFile(f.path());
            } else {
                if (src.size() > MAX_IN_MEMORY) {
                    findings.add(new Finding(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                            "HDF5 member larger than " + MAX_IN_MEMORY + " bytes was not read", where, ""));
                    return;
                }
                h = io.jhdf.HdfFile.fromBytes(readAll(src));
            }
            try (h) {
                for (String attr : new String[] {"model_config", "training_config"}) {
                    io.jhdf.api.Attribute a = h.getAttribute(attr);
                    if (a == null) {
                        continue;
                    }
                    Object data = a.getData();
                    String json = data instanceof String s ? s : data instanceof String[] arr && arr.length > 0 ? arr[0]
                            : data instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : null;
                    if (json == null) {
                        findings.add(new Finding(Rule.KERAS_MALFORMED, Severity.SUSPICIOUS,
                                "attribute /" + attr + " is not a string", where, ""));
                        continue;
                    }
                    formats.add("keras-h5");
                    keras(json, where, "attribute /" + attr);
                }
            }
        } catch (Exception e) {
            findings.add(new Finding(Rule.KERAS_MALFORMED, Severity.SUSPICIOUS,
                    "HDF5 file could not be read completely (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")",
                    where, ""));
        }
    }

    private void keras(String json, Location where, String what) {
        for (var p : dev.laocoon.core.internal.format.KerasConfigCheck.check(json, kb)) {
            Rule rule = p.lambda() ? Rule.KERAS_LAMBDA : p.severity() == Severity.SUSPICIOUS && p.pointer().isEmpty()
                    && p.message().contains("not valid JSON") ? Rule.KERAS_MALFORMED : Rule.KERAS_FOREIGN_OBJECT;
            String pointer = p.pointer().isEmpty() ? "/" : p.pointer();
            // an HDF5 attribute or a metadata node holds the JSON: it prefixes the pointer as "holder#pointer"
            Location.Within w = what.startsWith("attribute /")
                    ? Location.Within.of("hdf5-attribute", what.substring("attribute ".length()) + "#" + pointer)
                    : what.startsWith("node ") ? Location.Within.of("json-pointer",
                            "node[" + what.substring(5, what.indexOf(' ', 5)) + "]#" + pointer)
                    : Location.Within.of("json-pointer", pointer);
            findings.add(new Finding(rule, p.severity(), what + " " + pointer + ": " + p.message(), where.within(w),
                    p.evidence()));
        }
    }

    // ------------------------------------------------------------------ protobuf models

    /** keras_metadata.pb beside a Keras SavedModel: each layer's JSON metadata is a Keras config. */
    private boolean kerasMetadata(ByteSource src, Location where) throws IOException {
        List<String> metadata = dev.laocoon.core.internal.format.ProtoModels.kerasMetadata(readAll(src));
        if (metadata == null) {
            return false;
        }
        formats.add("keras-metadata");
        for (int i = 0; i < metadata.size(); i++) {
            keras(metadata.get(i), where, "node " + i + " metadata");
        }
        return true;
    }

    /** ONNX or TensorFlow SavedModel (both start with field 1 as a varint); true when one matched. */
    private boolean protobufModel(ByteSource src, Location where) throws IOException {
        byte[] all = readAll(src);
        List<dev.laocoon.core.internal.format.ProtoModels.Problem> sm = dev.laocoon.core.internal.format.ProtoModels.savedModel(all);
        if (sm != null) {
            formats.add("tf-savedmodel");
            for (var p : sm) {
                findings.add(new Finding(Rule.TF_RISKY_OP, p.malicious() ? Severity.MALICIOUS : Severity.SUSPICIOUS,
                        p.where() + ": " + p.message(), where.within(protoWithin(p.where())), ""));
            }
            return true;
        }
        List<dev.laocoon.core.internal.format.ProtoModels.Problem> onnx = dev.laocoon.core.internal.format.ProtoModels.onnx(all);
        if (onnx != null) {
            formats.add("onnx");
            for (var p : onnx) {
                findings.add(new Finding(p.malicious() ? Rule.ONNX_EXTERNAL_DATA : Rule.ONNX_CUSTOM_DOMAIN,
                        p.malicious() ? Severity.MALICIOUS : Severity.SUSPICIOUS, p.where() + ": " + p.message(),
                        where.within(protoWithin(p.where())), ""));
            }
            return true;
        }
        return false;
    }

    /** {@code node 'x'}, {@code function 'f' node 'x'}, {@code tensor 't'}, {@code graph}, ... as a structured place. */
    private static Location.Within protoWithin(String where) {
        String kind = where.startsWith("tensor ") ? "tensor" : where.contains("node '") ? "node" : "element";
        return Location.Within.of(kind, where);
    }

    // ------------------------------------------------------------------ gguf

    private void gguf(ByteSource src, Location where) throws IOException {
        formats.add("gguf");
        var g = dev.laocoon.core.internal.format.GgufReader.read(src);
        for (String p : g.problems()) {
            findings.add(new Finding(Rule.GGUF_MALFORMED, Severity.SUSPICIOUS, p, where, ""));
        }
        for (var kv : g.strings()) { // every value of a repeated key is judged
            if (!kv.getKey().equals("tokenizer.chat_template") && !kv.getKey().startsWith("tokenizer.chat_template.")) {
                continue;
            }
            for (var p : dev.laocoon.core.internal.format.JinjaTemplateCheck.check(kv.getValue())) {
                String t = kv.getValue();
                int from = Math.max(0, p.offset() - 30);
                String excerpt = t.substring(from, Math.min(t.length(), p.offset() + 50)).replace("\n", " ");
                Location at = where.within(new Location.Within("gguf-key", kv.getKey(), p.line(), p.column()));
                findings.add(new Finding(Rule.GGUF_TEMPLATE, p.malicious() ? Severity.MALICIOUS : Severity.SUSPICIOUS,
                        kv.getKey() + " line " + p.line() + ", column " + p.column() + ": " + p.message(), at, excerpt));
            }
        }
    }

    // ------------------------------------------------------------------ safetensors

    private void safetensors(ByteSource src, Location where, int depth) throws IOException {
        formats.add("safetensors");
        var r = dev.laocoon.core.internal.format.SafetensorsValidator.validate(src);
        for (var p : r.problems()) {
            Location.Within w = Location.Within.of(p.where().equals("header")
                    || p.where().startsWith("__metadata__") ? "element" : "tensor", p.where());
            findings.add(new Finding(Rule.SAFETENSORS_INVALID, Severity.SUSPICIOUS, p.where() + ": " + p.message(),
                    where.within(w), ""));
        }
        // Bytes after the tensor data are not read by safetensors loaders; they may be another format.
        if (r.dataEnd() >= 0 && r.dataEnd() < src.size()) {
            ByteSource tail = new SliceByteSource(src, r.dataEnd(), src.size() - r.dataEnd());
            analyzeArchiveMember(tail, where.withMember("<after tensor data@" + r.dataEnd() + ">"), depth);
        }
    }

    // ------------------------------------------------------------------ numpy

    /**
     * NumPy .npy: magic, version, header length (2 bytes in v1, 4 in v2/v3), a dict literal with
     * 'descr', 'fortran_order' and 'shape'. With an object dtype ('O'), numpy.load unpickles the
     * data that follows, so it is analysed as a pickle stream.
     */
    /** Compiled on first use (a holder class): most files are not .npy. */
    private static final class Npy {
        /** Type strings numpy reads as raw bytes (no objects). */
        static final java.util.regex.Pattern PLAIN = java.util.regex.Pattern.compile(
                "[<>=|]?(?:[?bBhHiIlLqQpPnNefdgFDGSUVac]|[biufcSUVa]\\d+|[mM]8(?:\\[\\w+\\])?)");

        private Npy() {
        }
    }

    private void analyzeNpy(ByteSource src, Location where) throws IOException {
        formats.add("npy");
        dev.laocoon.core.convert.NumpyArrays.Header hd;
        try {
            hd = dev.laocoon.core.convert.NumpyArrays.header(src);
        } catch (dev.laocoon.core.convert.ConvertException e) {
            findings.add(new Finding(Rule.PICKLE_MALFORMED, Severity.SUSPICIOUS, e.getMessage(), where, ""));
            return;
        }
        String header = hd.text();
        // numpy reads the header with ast.literal_eval: any quotes, string prefixes, escapes, implicit
        // concatenation, parentheses and repeated keys (the last one counts) are possible. The header
        // is read the same way (PyLiteral); a header that is not understood is "unknown": it counts
        // as an object array when it mentions an object type anywhere, and otherwise its data is
        // analysed whenever it looks like a pickle.
        java.util.Map<?, ?> fields = dev.laocoon.core.convert.NumpyArrays.fields(header);
        if (fields instanceof dev.laocoon.core.internal.format.PyLiteral.Dict d && d.repeatedKeys()) {
            findings.add(new Finding(Rule.PICKLE_MALFORMED, Severity.SUSPICIOUS,
                    ".npy header gives a key twice: numpy keeps the last value, other readers may not agree "
                            + "on the array's type", where, header.strip()));
        }
        Object descrValue = fields == null ? null : fields.get("descr");
        String descr = descrValue instanceof String d ? d : null;
        boolean object = dev.laocoon.core.convert.NumpyArrays.mentionsObject(descrValue != null ? descrValue : header);
        if (!object) {
            if (descr != null && Npy.PLAIN.matcher(descr).matches()) {
                return; // numeric data: numpy.load reads raw bytes
            }
            long dataStart = hd.dataStart();
            byte[] b = new byte[2];
            int got = src.readFully(dataStart, b, 0, 2);
            if (got < 2 || !analyzePickleStream(new SliceByteSource(src, dataStart, src.size() - dataStart),
                    where.withMember("<data@" + dataStart + ">"), null, b[0] & 0xff, b[1])) {
                if (descr == null && !header.contains("descr")) {
                    findings.add(new Finding(Rule.PICKLE_MALFORMED, Severity.SUSPICIOUS,
                            ".npy header has no readable 'descr'", where, header.strip()));
                }
                return;
            }
            formats.add("npy-object");
            findings.add(new Finding(Rule.PICKLE_MALFORMED, Severity.SUSPICIOUS,
                    ".npy descr is not a plain data type and the data is a pickle, which numpy.load unpickles for object dtypes",
                    where, header.strip()));
            return;
        }
        formats.add("npy-object");
        long dataStart = hd.dataStart();
        ByteSource data = new SliceByteSource(src, dataStart, src.size() - dataStart);
        Location loc = where.withMember("<object data@" + dataStart + ">");
        if (!analyzePickleStream(data, loc, null, -1, -1)) {
            findings.add(new Finding(Rule.PICKLE_MALFORMED, Severity.SUSPICIOUS,
                    "object array whose data is not a pickle; numpy.load would fail", loc, ""));
        }
    }

    // ------------------------------------------------------------------ zip

    private void analyzeZip(ByteSource src, ZipArchive zip, Location where, int depth) throws IOException {
        for (String a : zip.anomalies()) {
            findings.add(new Finding(Rule.ZIP_ANOMALY, Severity.SUSPICIOUS, a, where, ""));
        }
        Set<String> names = new HashSet<>();
        ZipEntry pkl = zip.torchDataPkl();
        String dataPkl = pkl == null ? null : pkl.name();
        boolean code = false;
        for (ZipEntry e : zip.entries()) {
            names.add(e.name());
            if (e.name().contains("/code/") || e.name().startsWith("code/")) {
                code = true;
            }
        }
        String prefix = dataPkl == null ? null : dataPkl.substring(0, dataPkl.length() - "data.pkl".length());
        boolean kerasV3 = dataPkl == null && names.contains("config.json") && names.contains("metadata.json");
        if (kerasV3) {
            formats.add("keras-v3");
        } else if (dataPkl != null) {
            formats.add(code ? "torchscript" : "pytorch-zip");
        } else {
            formats.add("zip");
        }
        if (code) {
            findings.add(new Finding(Rule.TORCHSCRIPT_CODE, Severity.NOTICE,
                    "contains TorchScript code (" + prefix + "code/), which torch.jit.load compiles and runs", where, ""));
        }
        PickleAnalyzer.PersistentIds torchIds = prefix == null ? null : new PickleAnalyzer.PersistentIds() {
            @Override
            public String check(Value pid) { // an anonymous class, not a lambda (start-up time)
                return torchStorage(pid, prefix, names);
            }
        };
        insideArchive++;
        try {
            zipMembers(src, zip, where, depth, prefix, torchIds, kerasV3);
        } finally {
            insideArchive--;
        }
    }

    private void zipMembers(ByteSource src, ZipArchive zip, Location where, int depth, String prefix,
                            PickleAnalyzer.PersistentIds torchIds, boolean kerasV3) throws IOException {
        for (ZipEntry e : zip.entries()) {
            if (e.directory()) {
                continue;
            }
            if (!countMember(where)) {
                return;
            }
            Location loc = where.withMember(e.name());
            // Tensor data is never read (storages are raw bytes named data/<key>), nor the small
            // metadata records PyTorch reads as text; TorchScript source is reported as a whole.
            if (kerasV3 && (e.name().equals("config.json") || e.name().equals("metadata.json"))) {
                ByteSource m = memberSource(src, e, loc);
                if (e.name().equals("config.json") && m != null && m.size() <= MAX_IN_MEMORY) {
                    keras(jsonText(readAll(m)), loc, "config.json");
                }
                npyInSkippedMember(m, e, loc, depth, "Keras reads it as JSON");
                continue;
            }
            if (prefix != null && (e.name().startsWith(prefix + "data/") && e.stored()
                    || e.name().startsWith(prefix) && TORCH_METADATA.contains(e.name().substring(prefix.length()))
                    || e.name().startsWith(prefix + "code/") && !e.name().endsWith(".pkl"))) {
                // numpy.load reads the same archive as .npz: any member starting with the .npy magic is
                // an array to it (an object array is unpickled), whatever PyTorch makes of the member
                npyInSkippedMember(memberSource(src, e, loc), e, loc, depth,
                        "PyTorch reads it as raw bytes or text");
                continue;
            }
            ByteSource member = memberSource(src, e, loc);
            if (member == null) {
                continue;
            }
            if (member.size() <= MAX_IN_MEMORY && crc(member) != e.crc()) {
                // PyTorch's reader ignores CRCs; a mismatch means the archive was edited after writing.
                findings.add(new Finding(Rule.ZIP_ANOMALY, Severity.SUSPICIOUS, "member '" + e.name()
                        + "' does not match its CRC-32 (readers that check it reject the archive, PyTorch's does not)",
                        loc, ""));
            }
            boolean isPickleName = e.name().endsWith(".pkl");
            analyzeMember(member, loc, depth, prefix != null && isPickleName ? torchIds : null);
        }
    }

    /**
     * A member the archive's own loader reads as raw bytes, text or JSON (so it is not analysed)
     * is still an array to numpy.load, which opens any zip as .npz and reads every member that
     * starts with the .npy magic as an array, unpickling object arrays. Such a member is analysed
     * as .npy, and is suspicious in itself.
     */
    private void npyInSkippedMember(ByteSource m, ZipEntry e, Location loc, int depth, String usual) throws IOException {
        if (m == null) {
            return;
        }
        byte[] magic = new byte[6];
        if (m.readFully(0, magic, 0, 6) == 6 && (magic[0] & 0xff) == 0x93 && magic[1] == 'N' && magic[2] == 'U'
                && magic[3] == 'M' && magic[4] == 'P' && magic[5] == 'Y') {
            findings.add(new Finding(Rule.ZIP_ANOMALY, Severity.SUSPICIOUS, "member '" + e.name() + "' is a .npy array: "
                    + usual + ", but numpy.load reads the archive as .npz and this member as an array", loc, ""));
            analyze(m, loc, depth + 1);
        }
    }

    private void analyzeMember(ByteSource member, Location loc, int depth, PickleAnalyzer.PersistentIds ids)
            throws IOException {
        if (ids != null) {
            byte[] h = new byte[2];
            int n = member.readFully(0, h, 0, 2);
            if (analyzePickleStream(member, loc, ids, n > 0 ? h[0] & 0xff : -1, n > 1 ? h[1] : -1)) {
                return;
            }
        }
        analyze(member, loc, depth + 1);
    }

    private static long crc(ByteSource b) throws IOException {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        byte[] chunk = new byte[65536];
        for (long p = 0; p < b.size(); ) {
            int n = b.read(p, chunk, 0, (int) Math.min(chunk.length, b.size() - p));
            if (n <= 0) {
                break;
            }
            c.update(chunk, 0, n);
            p += n;
        }
        return c.getValue();
    }

    private static String torchStorage(Value pid, String prefix, Set<String> names) {
        if (!(pid instanceof Value.Container t) || t.kind() != Value.Kind.TUPLE || t.keptCount() < 5
                || !(t.item(0) instanceof Value.Str tag) || !tag.text().equals("storage")) {
            return "persistent id is not ('storage', type, key, location, numel)";
        }
        if (!(t.item(1) instanceof Value.Global)) {
            return "storage type in the persistent id is not a global";
        }
        if (!(t.item(2) instanceof Value.Str key)) {
            return "storage key in the persistent id is not a string";
        }
        if (!names.contains(prefix + "data/" + key.text())) {
            return "storage key '" + key.text() + "' names no member " + prefix + "data/" + key.text();
        }
        return null;
    }

    /** The member's bytes: a window for stored members, inflated (within limits) for deflated ones. */
    private ByteSource memberSource(ByteSource src, ZipEntry e, Location loc) throws IOException {
        if (e.dataOffset() < 0) {
            return null;
        }
        if (e.stored()) {
            return new SliceByteSource(src, e.dataOffset(), e.compressedSize());
        }
        if (e.method() == 8) {
            ByteSource raw = new SliceByteSource(src, e.dataOffset(), e.compressedSize());
            try {
                return inflate(new SourceInputStream(raw), e.compressedSize(), loc, in -> new InflaterInputStream(in,
                        new Inflater(true), 65536));
            } catch (java.util.zip.ZipException | java.io.EOFException damaged) {
                findings.add(new Finding(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                        "deflated member is damaged (" + damaged.getMessage() + "); it was not analysed", loc, ""));
                return null;
            }
        }
        findings.add(new Finding(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                "member uses compression method " + e.method() + ", which Laocoon does not read", loc, ""));
        return null;
    }

    // ------------------------------------------------------------------ compression

    interface Decoder {
        InputStream open(InputStream in) throws IOException;
    }

    /** .xz or .lzma, every stream that Python's lzma.open reads. */
    private boolean lzma(ByteSource src, Location where, int depth, String member) throws IOException {
        return pythonLike(src, where, depth, member, dev.laocoon.core.internal.container.PyLzmaInputStream::new);
    }

    /**
     * Decompresses with a reader that reads as Python's module does; where Python would raise or
     * stop (its problems) is suspicious, once the data turned out to be of that format.
     */
    private boolean pythonLike(ByteSource src, Location where, int depth, String member,
            java.util.function.Function<InputStream, dev.laocoon.core.internal.container.PythonLikeInputStream> open)
            throws IOException {
        dev.laocoon.core.internal.container.PythonLikeInputStream[] made = new dev.laocoon.core.internal.container.PythonLikeInputStream[1];
        boolean done = decompressed(src, where, depth, member, in -> made[0] = open.apply(in));
        if (done && made[0] != null) {
            for (String p : made[0].problems()) {
                findings.add(new Finding(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS, p, where.withMember("<" + member + ">"), ""));
            }
        }
        return done;
    }

    private boolean decompressed(ByteSource src, Location where, int depth, String member, Decoder d) throws IOException {
        return decompressed(src, where, depth, member, d, null);
    }

    /**
     * As above; when {@code d} fails before producing anything, {@code fallback} (if any) reads
     * what it can, which is analysed with the failure reported.
     */
    private boolean decompressed(ByteSource src, Location where, int depth, String member, Decoder d, Decoder fallback)
            throws IOException {
        Location loc = where.withMember("<" + member + ">");
        ByteSource out;
        try {
            out = inflate(new SourceInputStream(src), src.size(), loc, d);
        } catch (IOException e) {
            if (member.equals("zlib") || member.equals("unlzma") && !(e instanceof org.tukaani.xz.MemoryLimitException)) {
                return false;
            }
            if (e instanceof Damaged dmg) {
                findings.add(new Finding(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS, "compressed data is damaged after "
                        + dmg.decoded.length + " bytes (" + e.getMessage() + "); the bytes before the damage were analysed",
                        loc, ""));
                analyze(new ArrayByteSource(dmg.decoded), loc, depth + 1);
                return true;
            }
            if (fallback != null) {
                ByteSource part = null;
                try {
                    part = inflate(new SourceInputStream(src), src.size(), loc, fallback);
                } catch (IOException again) {
                    // nothing decodes: reported below
                }
                if (part != null && part.size() > 0) {
                    findings.add(new Finding(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS, "compressed data is damaged ("
                            + e.getMessage() + "); the part that decodes on its own was analysed", loc, ""));
                    analyze(part, loc, depth + 1);
                    return true;
                }
            }
            findings.add(new Finding(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                    "compressed data is damaged (" + e.getMessage() + "); the rest was not analysed", loc, ""));
            return true;
        }
        if (out == null) {
            return true;
        }
        analyze(out, loc, depth + 1);
        return true;
    }

    // ------------------------------------------------------------------ tar and 7z

    private static boolean isTar(ByteSource src) throws IOException {
        byte[] m = new byte[6];
        return src.size() >= 512 && src.readFully(257, m, 0, 6) == 6 && m[0] == 'u' && m[1] == 's' && m[2] == 't'
                && m[3] == 'a' && m[4] == 'r' && (m[5] == 0 || m[5] == ' ');
    }

    private void tar(ByteSource src, Location where, int depth) throws IOException {
        boolean sysInfo = false;
        legacyTar = false;
        try (org.apache.commons.compress.archivers.tar.TarArchiveInputStream t =
                     new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(new SourceInputStream(src))) {
            org.apache.commons.compress.archivers.tar.TarArchiveEntry e;
            while ((e = t.getNextEntry()) != null) {
                if (!e.isFile()) {
                    continue;
                }
                if (!countMember(where)) {
                    return;
                }
                Location loc = where.withMember(e.getName());
                ByteSource member = inflate(t, e.getSize(), loc, in -> new java.io.FilterInputStream(in) {
                    @Override
                    public void close() {
                        // the tar stream stays open for the next entry
                    }
                });
                if (member != null) {
                    insideArchive++;
                    try {
                        String name = e.getName();
                        sysInfo |= name.equals("sys_info");
                        if (sysInfo && (name.equals("storages") || name.equals("tensors") || name.equals("pickle"))) {
                            // PyTorch's legacy tar format: records followed by raw bytes, ids resolved by key
                            legacyTar = true;
                            legacyTarMember(member, loc, name);
                        } else {
                            analyze(member, loc, depth + 1);
                        }
                    } finally {
                        insideArchive--;
                    }
                }
            }
        } catch (IOException e) {
            legacyTar = false;
            findings.add(new Finding(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                    "tar archive is damaged (" + e.getMessage() + "); the rest was not analysed", where, ""));
        }
        if (legacyTar) {
            formats.add("pytorch-legacy-tar");
        }
    }

    private void sevenZip(ByteSource src, Location where, int depth) throws IOException {
        try (org.apache.commons.compress.archivers.sevenz.SevenZFile z =
                     org.apache.commons.compress.archivers.sevenz.SevenZFile.builder()
                             .setSeekableByteChannel(new SourceChannel(src)).setMaxMemoryLimitKb(64 * 1024 * 1024) /* the builder divides by 1024 */.get()) {
            org.apache.commons.compress.archivers.sevenz.SevenZArchiveEntry e;
            while ((e = z.getNextEntry()) != null) {
                if (e.isDirectory() || !e.hasStream()) {
                    continue;
                }
                if (!countMember(where)) {
                    return;
                }
                Location loc = where.withMember(e.getName());
                ByteSource member = inflate(z.getInputStream(e), src.size(), loc, in -> in);
                if (member != null) {
                    analyzeArchiveMember(member, loc, depth);
                }
            }
        } catch (IOException e) {
            findings.add(new Finding(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                    "7z archive could not be read (" + e.getMessage() + "); its content was not analysed", where, ""));
        }
    }

    private boolean legacyTar;

    private void legacyTarMember(ByteSource member, Location loc, String name) throws IOException {
        dev.laocoon.core.internal.pickle.RawData raw = switch (name) {
            case "storages" -> dev.laocoon.core.internal.container.LegacyTorchTar.STORAGES;
            case "tensors" -> dev.laocoon.core.internal.container.LegacyTorchTar.TENSORS;
            default -> JOBLIB;
        };
        PickleAnalyzer.PersistentIds ids = pid -> pid instanceof Value.Str || pid instanceof Value.Int
                || (pid instanceof Value.Container t && t.kind() == Value.Kind.TUPLE && t.keptCount() >= 2
                && t.item(0) instanceof Value.Str s && s.text().equals("module") && t.item(1) instanceof Value.Global)
                ? null : "persistent id is neither a storage key nor a saved module record";
        byte[] h = new byte[2];
        int n = member.readFully(0, h, 0, 2);
        if (!analyzePickleStream(member, loc, ids, n > 0 ? h[0] & 0xff : -1, n > 1 ? h[1] : -1, raw)) {
            findings.add(new Finding(Rule.PICKLE_MALFORMED, Severity.SUSPICIOUS,
                    "legacy PyTorch member '" + name + "' is not a pickle stream", loc, ""));
        }
    }

    /** Counts one more archive member; false (with a finding) once the limit is passed. */
    private boolean countMember(Location where) {
        if (++members > MAX_MEMBERS) {
            findings.add(new Finding(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                    "more than " + MAX_MEMBERS + " members; the rest were not analysed", where, ""));
            return false;
        }
        return true;
    }

    /** Analyses an archive member; its formats do not become the file's format. */
    private void analyzeArchiveMember(ByteSource member, Location loc, int depth) throws IOException {
        insideArchive++;
        try {
            analyze(member, loc, depth + 1);
        } finally {
            insideArchive--;
        }
    }

    /** A read-only channel over a source (for the 7z reader). */
    static final class SourceChannel implements java.nio.channels.SeekableByteChannel {
        private final ByteSource src;
        private long pos;
        private boolean open = true;

        SourceChannel(ByteSource src) {
            this.src = src;
        }

        @Override
        public int read(java.nio.ByteBuffer dst) throws IOException {
            if (pos >= src.size()) {
                return -1;
            }
            byte[] b = new byte[Math.min(dst.remaining(), 65536)];
            int n = src.read(pos, b, 0, b.length);
            if (n <= 0) {
                return -1;
            }
            dst.put(b, 0, n);
            pos += n;
            return n;
        }

        @Override
        public int write(java.nio.ByteBuffer s) {
            throw new java.nio.channels.NonWritableChannelException();
        }

        @Override
        public long position() {
            return pos;
        }

        @Override
        public java.nio.channels.SeekableByteChannel position(long p) {
            pos = p;
            return this;
        }

        @Override
        public long size() {
            return src.size();
        }

        @Override
        public java.nio.channels.SeekableByteChannel truncate(long size) {
            throw new java.nio.channels.NonWritableChannelException();
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    /** Decompresses into memory within the limits; a bomb becomes a finding and null. */
    /** Decompression failed after some bytes came out: those are still analysed (fail closed). */
    static final class Damaged extends IOException {
        private static final long serialVersionUID = 1L;
        final transient byte[] decoded;

        Damaged(IOException cause, byte[] decoded) {
            super(cause.getMessage(), cause);
            this.decoded = decoded;
        }
    }

    private ByteSource inflate(InputStream raw, long compressed, Location loc, Decoder d) throws IOException {
        try (InputStream in = d.open(raw)) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] chunk = new byte[65536];
            long total = 0;
            int r;
            while (true) {
                try {
                    r = in.read(chunk);
                } catch (IOException e) {
                    // Python's bz2 and lzma readers stop quietly at trailing data that is not a stream,
                    // and a loader may read a damaged stream up to the damage: what came out counts
                    if (buf.size() > 0) {
                        throw new Damaged(e, buf.toByteArray());
                    }
                    throw e;
                }
                if (r <= 0) {
                    break;
                }
                total += r;
                inflated += r;
                if (total > MAX_IN_MEMORY || inflated > MAX_INFLATED
                        || (total > (64L << 20) && total > BOMB_RATIO * Math.max(1, compressed))) {
                    findings.add(new Finding(Rule.CONTAINER_LIMIT, Severity.SUSPICIOUS,
                            "decompresses to more than " + total + " bytes from " + compressed
                                    + " (limit or ratio exceeded: possible decompression bomb)", loc, ""));
                    return null;
                }
                buf.write(chunk, 0, r);
            }
            return new ArrayByteSource(buf.toByteArray());
        }
    }

    /** A stream over a source (for the JDK's decompressors). */
    static final class SourceInputStream extends InputStream {
        private final ByteSource src;
        private long pos;

        SourceInputStream(ByteSource src) {
            this.src = src;
        }

        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            return read(b, 0, 1) <= 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (pos >= src.size()) {
                return -1;
            }
            int n = src.read(pos, b, off, len);
            if (n <= 0) {
                return -1;
            }
            pos += n;
            return n;
        }
    }
}

package dev.laocoon.core.convert;

import dev.laocoon.core.Format;
import dev.laocoon.core.internal.container.ZipArchive;
import dev.laocoon.core.internal.detect.ZipLayout;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Severity;
import dev.laocoon.core.FileReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.FileByteSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Converts a PyTorch checkpoint or NumPy arrays to safetensors without executing anything:
 * the file is scanned first (a malicious verdict is refused unless forced), its structure is
 * read from the pickle trace by allow-list ({@link TorchCheckpoint}), and tensor bytes are
 * copied. Output goes to scratch files that are moved into place only when everything worked.
 */
public final class Converter {
    /** Copy buffer; also the most a tensor copy holds in memory besides small strided views. */
    static final int BUFFER = 1 << 20;
    /** Output larger than this many times the input (plus 64 MB) is refused: a file cannot amplify itself. */
    static final long MAX_GROWTH = 4;
    /** Threads copying tensor bytes: the copy is kernel work that two cores do faster than one. */
    static final int WRITERS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    /**
     * {@code key}: path (keys joined by '/') of the state dict inside a checkpoint dict, null to
     * choose; {@code maxShardSize}: tensor bytes per file, 0 for one file.
     */
    public record Options(String key, long maxShardSize, boolean keepSharedCopies, boolean verify, boolean force,
                          boolean overwrite, boolean skipUnsupported) {
        public static Options defaults() {
            return new Options(null, 0, false, false, false, false, false);
        }
    }

    /** A tensor left out because it shares its storage with {@code keptAs}, which is written. */
    public record Alias(String name, String keptAs) {
    }

    /** What a conversion did. */
    public record Outcome(List<Path> files, Path index, int tensors, long dataBytes, List<String> notes,
                          List<Alias> aliases, boolean verified, Severity verdict) {
    }

    private final Scanner scanner;
    private final Consumer<String> progress;

    public Converter(Scanner scanner, Consumer<String> progress) {
        this.scanner = scanner;
        this.progress = progress == null ? s -> { } : progress;
    }

    /** What a file holds, ready for conversion or listing. */
    public record Loaded(Node root, String format) {
    }

    /** Reads the structure of {@code src} (named {@code fileName}): PyTorch zip or legacy, .npy or .npz. */
    public static Loaded load(ByteSource src, String fileName, TempFiles temps) throws IOException, ConvertException {
        if (dev.laocoon.core.internal.format.numpy.NpyHeader.isNpy(src)) {
            String name = fileName.endsWith(".npy") ? fileName.substring(0, fileName.length() - 4) : fileName;
            return new Loaded(NumpyArrays.readNpy(src, name), "npy");
        }
        ZipArchive zip = ZipArchive.looksLikeZip(src) ? ZipArchive.read(src, 100_000) : null;
        if (zip != null) {
            ZipLayout layout = ZipLayout.classify(zip);
            if (layout.format() == Format.TORCHSCRIPT) {
                throw new ConvertException("a TorchScript archive (torch.jit.save): it holds a scripted module, not a state"
                        + " dict; save model.state_dict() with torch.save and convert that");
            }
            if (layout.torch()) {
                var r = TorchCheckpoint.readZip(src, zip, temps);
                return new Loaded(r.root(), r.format());
            }
            if (layout.npz()) {
                return new Loaded(NumpyArrays.readNpz(src, zip, temps), "npz");
            }
            throw new ConvertException("a zip archive that is neither a PyTorch checkpoint nor a NumPy .npz");
        }
        var legacy = TorchCheckpoint.readLegacy(src);
        if (legacy != null) {
            return new Loaded(legacy.root(), legacy.format());
        }
        if (dev.laocoon.core.internal.format.SafetensorsValidator.looksLike(src)) {
            throw new ConvertException("already a safetensors file (laocoon inspect lists its tensors)");
        }
        throw new ConvertException("not a PyTorch checkpoint (zip or legacy) or a NumPy .npy/.npz file");
    }

    public Outcome convert(Path input, Path output, Options o) throws IOException, ConvertException {
        List<String> notes = new ArrayList<>();
        Path dir = output.toAbsolutePath().getParent();
        // The verdict covers exactly the bytes that are converted: one open source for both.
        try (ByteSource src = new FileByteSource(input); TempFiles temps = new TempFiles(dir, maxOutput(src.size()))) {
            progress.accept("scanning " + input);
            FileReport report = scanner.scan(src, input.toString());
            if (report.failed()) {
                throw new ConvertException(report.error());
            }
            if (report.verdict().atLeast(Severity.SUSPICIOUS)) {
                StringBuilder why = new StringBuilder();
                for (Finding f : report.findings()) {
                    if (f.severity().atLeast(Severity.SUSPICIOUS) && why.length() < 600) {
                        why.append("\n  ").append(f.rule().id()).append(' ').append(f.severity().label()).append(": ")
                                .append(f.message());
                    }
                }
                if (report.verdict() == Severity.MALICIOUS && !o.force()) {
                    throw new ConvertException("the scan verdict is malicious; refusing to convert." + why
                            + "\nWith --force only tensor data is copied; nothing in the file is ever run.");
                }
                notes.add("scan verdict " + report.verdict().label() + "; only tensor data is copied" + why);
            }
            progress.accept("reading the structure of " + input);
            Loaded loaded = load(src, input.getFileName().toString(), temps);
            Node.Mapping selected = select(loaded.root(), o.key(), notes);
            List<SafetensorsWriter.Entry> entries = tensors(selected, o.skipUnsupported(), notes);
            List<Alias> aliases = o.keepSharedCopies() ? List.of() : dropShared(entries);
            return write(entries, aliases, output, o, notes, report.verdict(), src);
        }
    }

    // ------------------------------------------------------------------ choosing the state dict

    static Node.Mapping select(Node root, String key, List<String> notes) throws ConvertException {
        if (!(root instanceof Node.Mapping top)) {
            throw new ConvertException("the checkpoint holds " + describe(root)
                    + ", not a dict of tensors; Laocoon converts state dicts (save model.state_dict())");
        }
        if (key != null) {
            Node.Mapping m = top;
            StringBuilder path = new StringBuilder();
            for (String part : key.equals("/") ? new String[0] : key.split("/", -1)) {
                Node n = m.entries().get(part);
                path.append(path.length() == 0 ? "" : "/").append(part);
                if (n == null) {
                    throw new ConvertException("no key '" + path + "'; keys there: " + keys(m));
                }
                if (!(n instanceof Node.Mapping next)) {
                    throw new ConvertException("'" + path + "' holds " + describe(n) + ", not a dict of tensors");
                }
                m = next;
            }
            return m;
        }
        List<String> candidates = new ArrayList<>();
        if (top.tensorCount() > 0) {
            candidates.add("/");
        }
        candidates(top, "", candidates, 0, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
        if (candidates.size() == 1) {
            String only = candidates.get(0);
            if (!only.equals("/")) {
                notes.add("using the tensors under '" + only + "' (choose another dict with --key)");
            }
            return select(root, only, notes);
        }
        if (candidates.isEmpty()) {
            List<String> what = new ArrayList<>();
            for (var e : top.entries().entrySet()) {
                if (what.size() < 10) {
                    what.add("'" + e.getKey() + "': " + describe(e.getValue()));
                }
            }
            throw new ConvertException("no tensors that can be converted; the file holds "
                    + (what.isEmpty() ? "an empty dict" : String.join(", ", what)));
        }
        throw new ConvertException("the checkpoint holds several dicts of tensors; choose one with --key"
                + " ('/' is the top level):\n  " + String.join("\n  ", candidates.stream()
                        .map(c -> c + " (" + tensorsAt(top, c) + " tensors)").toList()));
    }

    /** Dicts of tensors up to 5 levels down; a dict the pickle holds several times is looked into once. */
    private static void candidates(Node.Mapping m, String prefix, List<String> out, int depth, java.util.Set<Node> seen) {
        if (depth > 4 || !seen.add(m)) {
            return;
        }
        for (var e : m.entries().entrySet()) {
            if (e.getValue() instanceof Node.Mapping child) {
                String path = prefix + e.getKey();
                if (child.tensorCount() > 0) {
                    out.add(path);
                } else {
                    candidates(child, path + "/", out, depth + 1, seen);
                }
            }
        }
    }

    private static long tensorsAt(Node.Mapping top, String path) {
        Node n = top;
        for (String p : path.equals("/") ? new String[0] : path.split("/", -1)) {
            n = ((Node.Mapping) n).entries().get(p);
        }
        return ((Node.Mapping) n).tensorCount();
    }

    private static String keys(Node.Mapping m) {
        List<String> k = new ArrayList<>(m.entries().keySet());
        String s = String.join(", ", k.subList(0, Math.min(20, k.size())));
        return k.size() > 20 ? s + ", ... (" + k.size() + " keys)" : s.isEmpty() ? "(none)" : s;
    }

    static String describe(Node n) {
        if (n instanceof Node.Tensor) {
            return "a tensor";
        }
        if (n instanceof Node.Mapping m) {
            return "a " + m.type() + " of " + m.entries().size() + " entries";
        }
        return ((Node.Other) n).description();
    }

    /** The tensors of a state dict; what is not a tensor is noted and left out. */
    static List<SafetensorsWriter.Entry> tensors(Node.Mapping m, boolean skipUnsupported, List<String> notes)
            throws ConvertException {
        List<SafetensorsWriter.Entry> out = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (var e : m.entries().entrySet()) {
            Node v = e.getValue();
            if (v instanceof Node.Tensor t) {
                out.add(new SafetensorsWriter.Entry(e.getKey(), t.ref()));
            } else if (v instanceof Node.Other other && other.problem() != null) {
                refused.add("'" + e.getKey() + "': " + other.problem());
            } else if (v instanceof Node.Mapping child) {
                notes.add("left out '" + e.getKey() + "': " + describe(child)
                        + (child.tensorCount() > 0 ? " (convert it with --key)" : ""));
            } else {
                notes.add("left out '" + e.getKey() + "': " + describe(v));
            }
        }
        if (!refused.isEmpty()) {
            if (!skipUnsupported) {
                throw new ConvertException("some tensors cannot be converted (--skip-unsupported leaves them out):\n  "
                        + String.join("\n  ", refused.subList(0, Math.min(20, refused.size()))));
            }
            for (String r : refused) {
                notes.add("left out " + r);
            }
        }
        if (out.isEmpty()) {
            throw new ConvertException("no tensors to convert");
        }
        return out;
    }

    // ------------------------------------------------------------------ shared storages

    /**
     * As the Hugging Face conversion tool does: tensors whose bytes overlap in one storage are
     * written once, under the first name (in sorted order) of those that cover the whole storage;
     * the others are removed and returned as aliases. Fails when none covers the storage.
     */
    static List<Alias> dropShared(List<SafetensorsWriter.Entry> entries) throws ConvertException {
        Map<Storage, List<SafetensorsWriter.Entry>> byStorage = new IdentityHashMap<>();
        for (var e : entries) {
            if (e.tensor().nbytes() > 0) {
                byStorage.computeIfAbsent(e.tensor().storage(), k -> new ArrayList<>()).add(e);
            }
        }
        Map<String, String> removed = new TreeMap<>();
        for (var group : byStorage.values()) {
            if (group.size() < 2) {
                continue;
            }
            group.sort((a, b) -> Long.compare(a.tensor().byteOffset(), b.tensor().byteOffset()));
            List<SafetensorsWriter.Entry> component = new ArrayList<>();
            long end = -1;
            for (var e : group) {
                if (!component.isEmpty() && e.tensor().byteOffset() >= end) {
                    alias(component, removed);
                    component.clear();
                }
                component.add(e);
                end = Math.max(end, e.tensor().byteEnd());
            }
            alias(component, removed);
        }
        entries.removeIf(e -> removed.containsKey(e.name()));
        List<Alias> out = new ArrayList<>();
        removed.forEach((k, v) -> out.add(new Alias(k, v)));
        return out;
    }

    private static void alias(List<SafetensorsWriter.Entry> component, Map<String, String> removed) throws ConvertException {
        if (component.size() < 2) {
            return;
        }
        String keep = null;
        for (var e : component) {
            if (e.tensor().coversStorage() && (keep == null || e.name().compareTo(keep) < 0)) {
                keep = e.name();
            }
        }
        if (keep == null) {
            throw new ConvertException("tensors " + component.stream().map(e -> "'" + e.name() + "'").toList()
                    + " share storage '" + component.get(0).tensor().storage().key()
                    + "' and none of them covers it; use --keep-shared-copies to write each as its own copy");
        }
        for (var e : component) {
            if (!e.name().equals(keep)) {
                removed.put(e.name(), keep);
            }
        }
    }

    // ------------------------------------------------------------------ writing

    /** The most tensor bytes a file of {@code inputSize} bytes may convert to; also its scratch space for inflating. */
    public static long maxOutput(long inputSize) {
        return MAX_GROWTH * inputSize + (64L << 20);
    }

    private Outcome write(List<SafetensorsWriter.Entry> entries, List<Alias> aliases, Path output, Options o,
                          List<String> notes, Severity verdict, ByteSource src) throws IOException, ConvertException {
        long planned = 0;
        for (var e : entries) {
            planned += e.tensor().nbytes();
        }
        if (planned > maxOutput(src.size())) {
            // only copies of shared storages can make the output much larger than the input
            throw new ConvertException("the output would hold " + planned + " bytes of tensors from a file of "
                    + src.size() + " bytes (storages copied many times over); refusing to write it");
        }
        List<List<SafetensorsWriter.Entry>> shards = shards(entries, o.maxShardSize());
        String fileName = output.getFileName().toString();
        String stem = fileName.endsWith(".safetensors") ? fileName.substring(0, fileName.length() - 12) : fileName;
        Path dir = output.toAbsolutePath().getParent();
        List<Path> targets = new ArrayList<>();
        if (shards.size() == 1) {
            targets.add(output);
        } else {
            for (int i = 0; i < shards.size(); i++) {
                targets.add(dir.resolve(String.format("%s-%05d-of-%05d.safetensors", stem, i + 1, shards.size())));
            }
        }
        Path index = shards.size() == 1 ? null : dir.resolve(stem + ".safetensors.index.json");
        List<Path> all = new ArrayList<>(targets);
        if (index != null) {
            all.add(index);
        }
        for (Path p : all) {
            if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !o.overwrite()) {
                throw new ConvertException(p + " exists; use --overwrite to replace it");
            }
            if (Files.isDirectory(p)) {
                throw new ConvertException(p + " is a directory");
            }
        }
        Map<String, String> aliasOf = new LinkedHashMap<>();
        for (Alias a : aliases) {
            aliasOf.put(a.name(), a.keptAs());
        }
        List<Path> temps = new ArrayList<>();
        boolean done = false;
        try {
            byte[] buf = new byte[BUFFER];
            long total = 0;
            int count = 0;
            for (int i = 0; i < shards.size(); i++) {
                List<SafetensorsWriter.Entry> ordered = SafetensorsWriter.order(shards.get(i));
                Map<String, String> metadata = metadata(ordered, aliasOf);
                Path tmp = dir.resolve("." + targets.get(i).getFileName() + ".laocoon-" + ProcessHandle.current().pid());
                Files.deleteIfExists(tmp);
                temps.add(tmp);
                progress.accept("writing " + targets.get(i).getFileName() + " (" + ordered.size() + " tensors)");
                SafetensorsWriter.write(tmp, ordered, metadata, WRITERS);
                if (o.verify()) {
                    progress.accept("verifying " + targets.get(i).getFileName());
                    verify(tmp, ordered, metadata, buf);
                }
                for (var e : ordered) {
                    total += e.tensor().nbytes();
                }
                count += ordered.size();
            }
            Path indexTmp = null;
            if (index != null) {
                indexTmp = dir.resolve("." + index.getFileName() + ".laocoon-" + ProcessHandle.current().pid());
                Files.deleteIfExists(indexTmp);
                temps.add(indexTmp);
                Files.write(indexTmp, indexJson(shards, targets, total).getBytes(StandardCharsets.UTF_8),
                        StandardOpenOption.CREATE_NEW);
            }
            List<Path> moved = new ArrayList<>();
            try {
                for (int i = 0; i < targets.size(); i++) {
                    boolean existed = Files.exists(targets.get(i), java.nio.file.LinkOption.NOFOLLOW_LINKS);
                    move(temps.get(i), targets.get(i));
                    if (!existed) {
                        moved.add(targets.get(i));
                    }
                }
                if (indexTmp != null) {
                    move(indexTmp, index);
                }
            } catch (IOException e) {
                for (Path m : moved) {
                    Files.deleteIfExists(m); // no half-sharded model left behind
                }
                throw e;
            }
            done = true;
            return new Outcome(targets, index, count, total, notes, aliases, o.verify(), verdict);
        } finally {
            if (!done) {
                for (Path t : temps) {
                    Files.deleteIfExists(t);
                }
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** {"format": "pt"} plus, as the Hugging Face tool writes them, removed aliases mapped to the kept name. */
    private static Map<String, String> metadata(List<SafetensorsWriter.Entry> shard, Map<String, String> aliasOf) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        java.util.Set<String> here = new java.util.HashSet<>();
        for (var e : shard) {
            here.add(e.name());
        }
        new TreeMap<>(aliasOf).forEach((alias, kept) -> {
            if (here.contains(kept) && !m.containsKey(alias)) {
                m.put(alias, kept);
            }
        });
        return m;
    }

    /**
     * Hugging Face's split: tensors in state-dict order fill a shard until the next would pass the
     * limit; a tensor larger than the limit gets a shard of its own.
     */
    static List<List<SafetensorsWriter.Entry>> shards(List<SafetensorsWriter.Entry> entries, long max) {
        List<List<SafetensorsWriter.Entry>> out = new ArrayList<>();
        if (max <= 0) {
            out.add(entries);
            return out;
        }
        List<SafetensorsWriter.Entry> current = new ArrayList<>();
        long size = 0;
        for (var e : entries) {
            long n = e.tensor().nbytes();
            if (n > max) {
                out.add(List.of(e));
                continue;
            }
            if (size + n > max && !current.isEmpty()) {
                out.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(e);
            size += n;
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }

    /** model.safetensors.index.json as transformers writes it (indent 2, sorted keys, ASCII). */
    static String indexJson(List<List<SafetensorsWriter.Entry>> shards, List<Path> files, long total) {
        TreeMap<String, String> map = new TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            for (var e : shards.get(i)) {
                map.put(e.name(), files.get(i).getFileName().toString());
            }
        }
        StringBuilder j = new StringBuilder("{\n  \"metadata\": {\n    \"total_size\": ").append(total)
                .append("\n  },\n  \"weight_map\": {");
        boolean first = true;
        for (var e : map.entrySet()) {
            j.append(first ? "\n    " : ",\n    ");
            first = false;
            pythonString(j, e.getKey());
            j.append(": ");
            pythonString(j, e.getValue());
        }
        j.append(first ? "}\n}\n" : "\n  }\n}\n");
        return j.toString();
    }

    /** A string as Python's json.dumps writes it with ensure_ascii. */
    private static void pythonString(StringBuilder j, String s) {
        SafetensorsWriter.jsonString(j, s, true);
    }

    // ------------------------------------------------------------------ verification

    /** Re-reads a written file: it must validate, list exactly the planned tensors, and hold their bytes. */
    static void verify(Path file, List<SafetensorsWriter.Entry> ordered, Map<String, String> metadata, byte[] buf)
            throws IOException, ConvertException {
        /** A difference found while streaming (the sink can only throw IOException). */
        final class Mismatch extends IOException {
            Mismatch(String message) {
                super(message);
            }
        }
        byte[] written = new byte[buf.length];
        try (FileByteSource out = new FileByteSource(file)) {
            SafetensorsFile sf = SafetensorsFile.read(out);
            if (sf.tensors().size() != ordered.size() || !sf.metadata().equals(metadata)) {
                throw new ConvertException("verification failed: " + file + " does not list the tensors written");
            }
            for (int i = 0; i < ordered.size(); i++) {
                var want = ordered.get(i);
                var got = sf.tensors().get(i);
                if (!got.name().equals(want.name()) || !got.dtype().equals(want.tensor().dtype().name())
                        || !java.util.Arrays.equals(got.shape(), want.tensor().shape())
                        || got.end() - got.begin() != want.tensor().nbytes()) {
                    throw new ConvertException("verification failed: header entry of '" + want.name() + "' differs");
                }
                long[] pos = {sf.dataStart() + got.begin()};
                TensorBytes.emit(want.tensor(), (b, off, len) -> {
                    if (out.readFully(pos[0], written, 0, len) != len) {
                        throw new Mismatch("verification failed: " + file + " ends inside '" + want.name() + "'");
                    }
                    if (!java.util.Arrays.equals(b, off, off + len, written, 0, len)) {
                        throw new Mismatch("verification failed: bytes of '" + want.name()
                                + "' differ from the source near output offset " + pos[0]);
                    }
                    pos[0] += len;
                }, buf);
            }
        } catch (Mismatch m) {
            throw new ConvertException(m.getMessage());
        }
    }
}

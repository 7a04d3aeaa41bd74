package dev.laocoon.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.laocoon.core.convert.ConvertException;
import dev.laocoon.core.convert.Converter;
import dev.laocoon.core.convert.Node;
import dev.laocoon.core.convert.SafetensorsFile;
import dev.laocoon.core.convert.TempFiles;
import dev.laocoon.core.convert.TensorRef;
import dev.laocoon.core.internal.format.SafetensorsValidator;
import dev.laocoon.core.report.Printable;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.FileByteSource;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The {@code convert} and {@code inspect} commands. */
final class ConvertCommands {
    static final List<Args.Option> CONVERT = List.of(
            new Args.Option(List.of("-o", "--output"), "FILE", "The .safetensors file to write (required)."),
            new Args.Option(List.of("--key"), "KEY",
                    "Convert the dict of tensors under KEY of a checkpoint dict (nested keys joined by '/'; '/' alone: the top level)."),
            new Args.Option(List.of("--max-shard-size"), "SIZE",
                    "Split into files of at most SIZE tensor bytes (e.g. 5GB, 500MB, 2GiB) with a "
                            + "model.safetensors.index.json."),
            new Args.Option(List.of("--keep-shared-copies"), null,
                    "Write tensors that share storage as separate copies instead of keeping one and listing aliases."),
            new Args.Option(List.of("--skip-unsupported"), null,
                    "Leave out tensors safetensors cannot hold (complex, quantized, ...) instead of failing."),
            new Args.Option(List.of("--verify"), null, "Re-read the output and compare every tensor byte with its source."),
            new Args.Option(List.of("--overwrite"), null, "Replace output files that already exist."),
            new Args.Option(List.of("--force"), null,
                    "Convert even when the scan verdict is malicious (only tensor bytes are ever copied)."),
            new Args.Option(List.of("--policy"), "FILE", "Policy file for the scan that precedes conversion."),
            new Args.Option(List.of("-h", "--help"), null, "Show this help and exit."));

    static final List<Args.Option> INSPECT = List.of(
            new Args.Option(List.of("-f", "--format"), "FORMAT", "Output format: text or json (default text)."),
            new Args.Option(List.of("-h", "--help"), null, "Show this help and exit."));

    private final PrintStream out;
    private final PrintStream err;

    ConvertCommands(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    static String convertUsage() {
        return Args.usage("laocoon convert [OPTIONS] INPUT --output OUT.safetensors",
                "Convert a PyTorch checkpoint (zip or legacy torch.save) or NumPy .npy/.npz arrays to safetensors\n"
                        + "without running anything: the file is scanned, its structure is read by allow-list and only\n"
                        + "tensor bytes are copied. Output appears only when the whole conversion worked.", CONVERT)
                + "\nExit codes:\n  0  converted\n  1  refused: malicious scan verdict, or content that cannot be converted\n"
                + "  2  usage or I/O error\n";
    }

    static String inspectUsage() {
        return Args.usage("laocoon inspect [OPTIONS] FILE",
                "List the tensors of a PyTorch checkpoint, NumPy file or safetensors file (name, dtype, shape,\n"
                        + "bytes, storage) without converting or running anything.", INSPECT)
                + "\nExit codes:\n  0  listed\n  1  the file's structure cannot be read\n  2  usage or I/O error\n";
    }

    // ------------------------------------------------------------------ convert

    int convert(List<String> argv) throws Args.UsageException, IOException {
        Args a = Args.parse(CONVERT, argv);
        if (a.flag("--help")) {
            out.print(convertUsage());
            return Main.OK;
        }
        if (a.positionals().size() != 1) {
            throw new Args.UsageException("convert needs exactly one INPUT file");
        }
        String output = a.value("--output", null);
        if (output == null) {
            throw new Args.UsageException("convert needs --output OUT.safetensors");
        }
        Path input = Path.of(a.positionals().get(0));
        if (!Files.isRegularFile(input)) {
            err.println("laocoon convert: " + input + ": not a regular file");
            return Main.ERROR;
        }
        Path target = Path.of(output);
        Path parent = target.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            err.println("laocoon convert: " + output + ": its directory does not exist");
            return Main.ERROR;
        }
        if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !a.flag("--overwrite")) {
            // a usage error (2), not a refusal of the input (1)
            err.println("laocoon convert: " + Printable.of(output) + " exists; use --overwrite to replace it");
            return Main.ERROR;
        }
        long shard = parseSize(a.value("--max-shard-size", "0"));
        Converter.Options o = new Converter.Options(a.value("--key", null), shard, a.flag("--keep-shared-copies"),
                a.flag("--verify"), a.flag("--force"), a.flag("--overwrite"), a.flag("--skip-unsupported"));
        Converter.Outcome r;
        try {
            // the scan that precedes conversion uses the --policy given here
            Scanner scanner = Main.scanner(a);
            r = new Converter(scanner, null).convert(input, target, o);
        } catch (ConvertException e) {
            err.println("laocoon convert: " + Printable.of(input.toString()) + ": " + Printable.lines(e.getMessage()));
            err.println("laocoon convert: nothing was written");
            return Main.FOUND;
        }
        for (String n : r.notes()) {
            err.println("note: " + Printable.lines(n));
        }
        for (var al : r.aliases()) {
            err.println("note: '" + Printable.of(al.name()) + "' shares its storage with '" + Printable.of(al.keptAs())
                    + "'; written once as '" + Printable.of(al.keptAs()) + "' (listed in __metadata__)");
        }
        out.println("converted " + r.tensors() + " tensors (" + human(r.dataBytes()) + ") from "
                + Printable.of(input.toString()) + " to "
                + (r.files().size() == 1 ? r.files().get(0) : r.files().size() + " files and " + r.index())
                + (r.verified() ? "; verified byte for byte" : ""));
        return Main.OK;
    }

    /** Sizes as Hugging Face writes them: 5GB = 5*10^9, 5GiB = 5*2^30, or plain bytes. */
    static long parseSize(String s) throws Args.UsageException {
        String t = s.strip().toUpperCase(Locale.ROOT);
        long unit = 1;
        String[][] units = {{"KIB", "1024"}, {"MIB", "1048576"}, {"GIB", "1073741824"}, {"TIB", "1099511627776"},
            {"KB", "1000"}, {"MB", "1000000"}, {"GB", "1000000000"}, {"TB", "1000000000000"}, {"B", "1"}};
        for (String[] u : units) {
            if (t.endsWith(u[0])) {
                unit = Long.parseLong(u[1]);
                t = t.substring(0, t.length() - u[0].length()).strip();
                break;
            }
        }
        try {
            double v = Double.parseDouble(t);
            if (v < 0 || Double.isNaN(v) || v * unit > Long.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return (long) (v * unit);
        } catch (NumberFormatException e) {
            throw new Args.UsageException("--max-shard-size: expected a size such as 5GB, 500MB or 2GiB, got '" + s + "'");
        }
    }

    static String human(long bytes) {
        if (bytes < 1000) {
            return bytes + " B";
        }
        String[] u = {"kB", "MB", "GB", "TB"};
        double v = bytes;
        int i = -1;
        while (v >= 1000 && i < u.length - 1) {
            v /= 1000;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, u[i]);
    }

    // ------------------------------------------------------------------ inspect

    /** One row of the listing. */
    record Row(String name, String dtype, long[] shape, long bytes, String storage) {
    }

    int inspect(List<String> argv) throws Args.UsageException, IOException {
        Args a = Args.parse(INSPECT, argv);
        if (a.flag("--help")) {
            out.print(inspectUsage());
            return Main.OK;
        }
        String format = a.value("--format", "text");
        if (!format.equals("text") && !format.equals("json")) {
            throw new Args.UsageException("--format: expected text or json, got '" + format + "'");
        }
        if (a.positionals().size() != 1) {
            throw new Args.UsageException("inspect needs exactly one FILE");
        }
        Path file = Path.of(a.positionals().get(0));
        if (!Files.isRegularFile(file)) {
            err.println("laocoon inspect: " + file + ": not a regular file");
            return Main.ERROR;
        }
        List<Row> rows = new ArrayList<>();
        List<String> others = new ArrayList<>();
        String kind;
        try (ByteSource src = new FileByteSource(file); TempFiles temps = new TempFiles(null,
                Converter.maxOutput(Files.size(file)))) {
            if (SafetensorsValidator.looksLike(src)) {
                kind = "safetensors";
                SafetensorsFile sf = SafetensorsFile.read(src);
                for (var t : sf.tensors()) {
                    rows.add(new Row(t.name(), t.dtype(), t.shape(), t.end() - t.begin(),
                            "bytes " + t.begin() + ".." + t.end()));
                }
                sf.metadata().forEach((k, v) -> others.add("__metadata__ " + k + " = " + v));
            } else {
                Converter.Loaded l = Converter.load(src, file.getFileName().toString(), temps);
                kind = l.format();
                walk(l.root(), "", rows, others, 0, new java.util.IdentityHashMap<>());
            }
        } catch (ConvertException e) {
            err.println("laocoon inspect: " + Printable.of(file.toString()) + ": " + Printable.lines(e.getMessage()));
            return Main.FOUND;
        }
        if (format.equals("json")) {
            json(file, kind, rows, others);
        } else {
            text(file, kind, rows, others);
        }
        // listing tensors reads only the structure: say so when the file is not safe to load
        dev.laocoon.core.FileReport scanned = Scanner.builder().executor(Startup.executor()).build().scan(file);
        if (scanned.verdict().atLeast(dev.laocoon.core.finding.Severity.SUSPICIOUS)) {
            err.println("laocoon inspect: warning: " + Printable.of(file.toString()) + " is " + scanned.verdictLabel()
                    + " (" + scanned.findings().size() + " findings; see 'laocoon scan'): listing its tensors does not"
                    + " make it safe to load");
        }
        return Main.OK;
    }

    /** Lists tensors and other values; a dict the pickle holds several times is listed once, then named. */
    private static void walk(Node n, String path, List<Row> rows, List<String> others, int depth,
                             java.util.Map<Node, String> seen) {
        if (n instanceof Node.Tensor t) {
            TensorRef r = t.ref();
            StringBuilder st = new StringBuilder(r.storage().key());
            st.append(" ").append(r.storage().dtype().name());
            if (r.offset() != 0) {
                st.append(" +").append(r.offset());
            }
            if (!r.contiguous()) {
                st.append(" strided ").append(java.util.Arrays.toString(r.stride()));
            }
            if (r.storage().bigEndian()) {
                st.append(" big-endian");
            }
            rows.add(new Row(path.isEmpty() ? "(root)" : path, r.dtype().name(), r.shape(), r.nbytes(), st.toString()));
        } else if (n instanceof Node.Mapping m && depth < 8) {
            String first = seen.putIfAbsent(m, path.isEmpty() ? "(root)" : path);
            if (first != null) {
                others.add(path + ": the same " + m.type() + " as " + first);
                return;
            }
            for (var e : m.entries().entrySet()) {
                walk(e.getValue(), path.isEmpty() ? e.getKey() : path + "/" + e.getKey(), rows, others, depth + 1, seen);
            }
        } else if (n instanceof Node.Other o) {
            others.add((path.isEmpty() ? "(root)" : path) + ": " + o.description()
                    + (o.problem() != null ? " — cannot be converted: " + o.problem() : ""));
        }
    }

    private void text(Path file, String kind, List<Row> rows, List<String> others) {
        long total = rows.stream().mapToLong(Row::bytes).sum();
        out.println(Printable.of(file.toString()) + ": " + kind + ", " + rows.size() + " tensors, " + human(total));
        if (!rows.isEmpty()) {
            int w = Math.min(60, Math.max(4, rows.stream().mapToInt(r -> r.name().length()).max().orElse(4)));
            int sw = Math.max(5, rows.stream().mapToInt(r -> java.util.Arrays.toString(r.shape()).length()).max().orElse(5));
            out.println(String.format("%-" + w + "s  %-7s  %-" + sw + "s  %12s  %s", "NAME", "DTYPE", "SHAPE", "BYTES", "STORAGE"));
            for (Row r : rows) {
                out.println(String.format("%-" + w + "s  %-7s  %-" + sw + "s  %12d  %s", Printable.of(r.name()),
                        Printable.of(r.dtype()), java.util.Arrays.toString(r.shape()), r.bytes(), Printable.of(r.storage())));
            }
        }
        if (!others.isEmpty()) {
            out.println("not tensors (" + others.size() + "):");
            for (String o : others.subList(0, Math.min(50, others.size()))) {
                out.println("  " + Printable.of(o));
            }
            if (others.size() > 50) {
                out.println("  ... " + (others.size() - 50) + " more");
            }
        }
    }

    private void json(Path file, String kind, List<Row> rows, List<String> others) throws IOException {
        JsonGenerator g = new JsonFactory().createGenerator(out).useDefaultPrettyPrinter();
        g.writeStartObject();
        g.writeStringField("path", file.toString());
        g.writeStringField("format", kind);
        g.writeArrayFieldStart("tensors");
        for (Row r : rows) {
            g.writeStartObject();
            g.writeStringField("name", r.name());
            g.writeStringField("dtype", r.dtype());
            g.writeFieldName("shape");
            g.writeArray(r.shape(), 0, r.shape().length);
            g.writeNumberField("bytes", r.bytes());
            g.writeStringField("storage", r.storage());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("other");
        for (String o : others) {
            g.writeString(o);
        }
        g.writeEndArray();
        g.writeEndObject();
        g.flush();
        out.println();
    }
}

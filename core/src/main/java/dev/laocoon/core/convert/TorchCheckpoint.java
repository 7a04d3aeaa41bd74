package dev.laocoon.core.convert;

import dev.laocoon.core.internal.container.ZipArchive;
import dev.laocoon.core.internal.container.ZipMember;
import dev.laocoon.core.internal.pickle.GlobalName;
import dev.laocoon.core.internal.pickle.PickleLimits;
import dev.laocoon.core.internal.pickle.PickleMachine;
import dev.laocoon.core.internal.pickle.PickleResult;
import dev.laocoon.core.internal.pickle.PickleTrace;
import dev.laocoon.core.internal.pickle.TraceEvent;
import dev.laocoon.core.internal.pickle.Value;
import dev.laocoon.core.source.ByteSource;
import dev.laocoon.core.source.SliceByteSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the structure of a PyTorch checkpoint (the zip layout of {@code torch.save} and the
 * older stream layout) from the symbolic trace of its pickle, without running anything. Only
 * what PyTorch's weights-only loader accepts is reconstructed: tensor and parameter rebuild
 * functions, persistent storage ids, {@code collections.OrderedDict}, dicts, sizes and dtypes.
 * Everything else becomes a {@link Node.Other} that says what it is.
 */
public final class TorchCheckpoint {
    /** Structure of real checkpoints needs a few dozen opcodes per tensor; this keeps memory bounded. */
    static final PickleLimits LIMITS = PickleLimits.DEFAULT.withMaxOpcodes(20_000_000L).withContainerItems(1 << 22);
    private static final int MAX_DEPTH = 100;
    /** Distinct containers and calls resolved; real checkpoints have a few per tensor. */
    static final long MAX_VALUES = 1 << 22;
    /** What an object that holds itself (through the memo) is when reached again inside itself. */
    private static final Node CYCLE = Node.Other.of("the object that holds it (a reference cycle)");
    /** Element sizes of storage types safetensors cannot hold (their bytes are skipped in legacy files). */
    private static final Map<String, Integer> OTHER_STORAGE_SIZES = Map.of("ComplexFloatStorage", 8,
            "ComplexDoubleStorage", 16, "ComplexHalfStorage", 4, "QInt8Storage", 1, "QUInt8Storage", 1,
            "QInt32Storage", 4, "QUInt4x2Storage", 1, "QUInt2x4Storage", 1);
    private static final Set<String> TENSOR_REBUILDS = Set.of("torch._utils._rebuild_tensor",
            "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3");
    private static final Set<String> PARAMETER_REBUILDS = Set.of("torch._utils._rebuild_parameter",
            "torch._utils._rebuild_parameter_with_state");

    /** The checkpoint's object tree; {@code format} is {@code pytorch-zip} or {@code pytorch-legacy}. */
    public record Result(Node root, String format) {
    }

    private final Map<Value, List<TraceEvent.Invoke>> methodCalls = new IdentityHashMap<>();
    private final Map<String, Storage> storages = new HashMap<>();
    private final StorageLookup lookup;
    private long resolved;
    /**
     * Containers and calls already resolved, by identity. The memo lets a pickle hold one object
     * many times (a dict holding the dict below twice, sixty levels deep, is 2^60 entries in a
     * few hundred bytes): each is resolved once and its node shared, as torch shares the object.
     */
    private final Map<Value, Node> nodes = new IdentityHashMap<>();

    private interface StorageLookup {
        /** The storage a persistent id names, or throws with the reason it cannot be used. */
        Storage storage(Value.Container pid) throws ConvertException, IOException;
    }

    private TorchCheckpoint(StorageLookup lookup) {
        this.lookup = lookup;
    }

    // ------------------------------------------------------------------ zip layout

    /** A checkpoint in the zip layout, whose directory the caller has read. */
    static Result readZip(ByteSource src, ZipArchive zip, TempFiles temps) throws IOException, ConvertException {
        ZipMember pkl = zip.torchDataPkl();
        if (pkl == null) {
            throw new ConvertException("zip archive without a data.pkl record: not a PyTorch checkpoint");
        }
        String prefix = pkl.name().substring(0, pkl.name().length() - "data.pkl".length());
        Map<String, ZipMember> byName = new HashMap<>();
        for (ZipMember e : zip.entries()) {
            byName.putIfAbsent(e.name(), e);
        }
        boolean bigEndian = false;
        ZipMember order = byName.get(prefix + "byteorder");
        if (order != null) {
            ByteSource o = ZipMembers.open(src, order, temps, 64);
            byte[] b = new byte[(int) Math.min(16, o.size())];
            o.readFully(0, b, 0, b.length);
            String text = new String(b, java.nio.charset.StandardCharsets.US_ASCII).strip();
            if (text.equals("big")) {
                bigEndian = true;
            } else if (!text.equals("little")) {
                throw new ConvertException("byteorder record says '" + text + "', neither 'little' nor 'big'");
            }
        }
        ByteSource pickle = ZipMembers.open(src, pkl, temps, 256L << 20);
        boolean big = bigEndian;
        TorchCheckpoint reader = new TorchCheckpoint(pid -> {
            // ('storage', storage_type, key, location, numel)
            if (pid.size() != 5) {
                throw new ConvertException("persistent id " + pid.render(80) + " is not ('storage', type, key, location, numel)");
            }
            DType type = storageType(pid.item(1));
            String key = text(pid.item(2), "storage key");
            long numel = integer(pid.item(4), "storage size");
            ZipMember e = byName.get(prefix + "data/" + key);
            if (e == null) {
                throw new ConvertException("storage '" + key + "' has no record " + prefix + "data/" + key);
            }
            ByteSource bytes = ZipMembers.open(src, e, temps, Long.MAX_VALUE);
            long expected = numel < 0 || numel > bytes.size() ? -1 : numel * type.size();
            if (bytes.size() != expected) {
                throw new ConvertException("storage '" + key + "' should hold " + expected + " bytes (" + numel + " "
                        + type + " elements) but its record has " + bytes.size());
            }
            return new Storage(key, type, bytes, big);
        });
        PickleTrace trace = PickleMachine.run(pickle, 0, LIMITS.withMaxPickles(1));
        PickleResult r = trace.pickles().isEmpty() ? null : trace.pickles().get(0);
        if (r == null || !r.complete()) {
            throw new ConvertException(prefix + "data.pkl cannot be read to the end"
                    + (r != null && r.error() != null ? " (" + r.error().getMessage() + " at byte " + r.error().offset() + ")" : ""));
        }
        reader.index(r);
        return new Result(reader.resolve(r.result(), 0), "pytorch-zip");
    }

    // ------------------------------------------------------------------ legacy layout

    private static boolean isLegacy(PickleTrace t) {
        return dev.laocoon.core.internal.format.torch.LegacyTorch.isLegacy(t);
    }

    /**
     * A checkpoint in the legacy layout, or null when the data does not start with its magic
     * number: magic number, protocol version and sys-info pickles, the object pickle, the list of
     * storage keys, then for each key an 8-byte element count and the elements.
     */
    static Result readLegacy(ByteSource src) throws IOException, ConvertException {
        // the magic-number pickle is three opcodes: a bounded look first, so that other files are
        // not walked with whole containers kept
        if (!isLegacy(PickleMachine.run(src, 0, PickleLimits.DEFAULT.withMaxPickles(1).withMaxOpcodes(16)))) {
            return null;
        }
        PickleTrace t = PickleMachine.run(src, 0, LIMITS.withMaxPickles(5));
        List<PickleResult> ps = t.pickles();
        if (ps.size() < 5 || !ps.get(3).complete() || !ps.get(4).complete()) {
            PickleResult bad = ps.stream().filter(p -> !p.complete()).findFirst().orElse(null);
            throw new ConvertException("legacy checkpoint ends before its storage list"
                    + (bad != null && bad.error() != null ? " (" + bad.error().getMessage() + ")" : ""));
        }
        for (int i = 0; i < 3; i++) {
            if (!ps.get(i).events().isEmpty()) {
                throw new ConvertException("header pickle " + i + " of the legacy checkpoint imports or calls something");
            }
        }
        boolean bigEndian = false;
        if (ps.get(2).result() instanceof Value.Container info && info.kind() == Value.Kind.DICT) {
            for (int i = 0; i + 1 < info.keptCount(); i += 2) {
                if (info.item(i) instanceof Value.Str k && k.text().equals("little_endian")) {
                    bigEndian = info.item(i + 1) == Value.FALSE;
                }
            }
        }
        // Types first: the object pickle declares each storage's type in its persistent ids.
        Map<String, String> types = new HashMap<>();
        Map<String, Long> sizes = new HashMap<>();
        for (TraceEvent e : ps.get(3).events()) {
            if (e instanceof TraceEvent.PersistentLoad pl && pl.pid() instanceof Value.Container pid
                    && pid.kind() == Value.Kind.TUPLE && pid.complete() && pid.size() == 6) {
                String key = text(pid.item(2), "storage key");
                if (!(pid.item(1) instanceof Value.Global g) || !g.name().known()) {
                    throw new ConvertException("storage type " + pid.item(1).render(60) + " is not a global");
                }
                String type = g.name().resolvedName();
                String before = types.putIfAbsent(key, type);
                if (before != null && !before.equals(type)) {
                    throw new ConvertException("storage '" + key + "' is declared both " + before + " and " + type);
                }
                sizes.putIfAbsent(key, integer(pid.item(4), "storage size"));
            }
        }
        if (!(ps.get(4).result() instanceof Value.Container keys) || keys.kind() != Value.Kind.LIST || !keys.complete()) {
            throw new ConvertException("the storage-key list of the legacy checkpoint is not a list of keys");
        }
        Map<String, Storage> roots = new HashMap<>();
        Map<String, String> unsupported = new HashMap<>();
        long at = ps.get(4).end();
        byte[] count = new byte[8];
        for (int i = 0; i < keys.keptCount(); i++) {
            String key = text(keys.item(i), "storage key");
            String typeName = types.get(key);
            if (typeName == null) {
                throw new ConvertException("storage '" + key + "' is listed but no tensor declares it");
            }
            DType type = DType.ofStorageClass(typeName);
            Integer elementSize = type != null ? Integer.valueOf(type.size()) : OTHER_STORAGE_SIZES.get(typeName);
            if (elementSize == null) {
                throw new ConvertException("storage '" + key + "' has the unknown type " + typeName);
            }
            if (src.readFully(at, count, 0, 8) != 8) {
                throw new ConvertException("legacy checkpoint ends inside the data of storage '" + key + "'");
            }
            long n = littleEndian(count);
            long expected = sizes.get(key);
            if (expected < 0) {
                throw new ConvertException("storage '" + key + "' declares " + expected + " elements");
            }
            if (n != expected && Long.reverseBytes(n) == expected) {
                n = expected; // count written in the writer's byte order
            }
            if (n != expected) {
                throw new ConvertException("storage '" + key + "' has " + n + " elements in the file but "
                        + expected + " in its persistent id");
            }
            long bytes = n > src.size() ? Long.MAX_VALUE : n * elementSize;
            if (bytes > src.size() - at - 8) {
                throw new ConvertException("legacy checkpoint ends inside the data of storage '" + key + "'");
            }
            if (type == null) {
                unsupported.put(key, typeName);
            } else {
                roots.put(key, new Storage(key, type, new SliceByteSource(src, at + 8, bytes), bigEndian));
            }
            at += 8 + bytes;
        }
        TorchCheckpoint reader = new TorchCheckpoint(pid -> {
            // ('storage', storage_type, root_key, location, numel, view_metadata)
            if (pid.size() != 6) {
                throw new ConvertException("persistent id " + pid.render(80)
                        + " is not ('storage', type, key, location, numel, view)");
            }
            String key = text(pid.item(2), "storage key");
            Storage root = roots.get(key);
            if (unsupported.containsKey(key)) {
                throw new Unsupported("storage type " + unsupported.get(key) + " has no safetensors dtype");
            }
            if (root == null) {
                throw new ConvertException("storage '" + key + "' is not in the checkpoint's storage list");
            }
            if (pid.item(5) == Value.NONE) {
                return root;
            }
            if (!(pid.item(5) instanceof Value.Container view) || view.size() != 3 || !view.complete()) {
                throw new ConvertException("storage view of '" + key + "' is not (key, offset, size)");
            }
            long off = integer(view.item(1), "view offset");
            long n = integer(view.item(2), "view size");
            long es = root.dtype().size();
            try {
                if (off < 0 || n < 0 || Math.multiplyExact(off + n, es) > root.bytes().size()) {
                    throw new ConvertException("storage view of '" + key + "' lies outside its storage");
                }
            } catch (ArithmeticException overflow) {
                throw new ConvertException("storage view of '" + key + "' lies outside its storage");
            }
            return new Storage(text(view.item(0), "view key"), root.dtype(),
                    new SliceByteSource(root.bytes(), off * es, n * es), root.bigEndian());
        });
        reader.index(ps.get(3));
        return new Result(reader.resolve(ps.get(3).result(), 0), "pytorch-legacy");
    }

    // ------------------------------------------------------------------ object tree

    private void index(PickleResult r) {
        for (TraceEvent e : r.events()) {
            if (e instanceof TraceEvent.Invoke inv && inv.kind() == TraceEvent.CallKind.METHOD) {
                methodCalls.computeIfAbsent(inv.target(), k -> new ArrayList<>()).add(inv);
            }
        }
    }

    private Node resolve(Value v, int depth) throws ConvertException, IOException {
        if (!(v instanceof Value.Container) && !(v instanceof Value.Call)) {
            return resolveNew(v, depth);
        }
        Node known = nodes.get(v);
        if (known != null) {
            return known;
        }
        if (++resolved > MAX_VALUES) {
            throw new ConvertException("the checkpoint holds more than " + MAX_VALUES + " objects; not a state dict");
        }
        nodes.put(v, CYCLE);
        Node n = resolveNew(v, depth);
        nodes.put(v, n);
        return n;
    }

    private Node resolveNew(Value v, int depth) throws ConvertException, IOException {
        if (depth > MAX_DEPTH) {
            return new Node.Other("objects nested more than " + MAX_DEPTH + " deep", "nested too deeply");
        }
        if (v instanceof Value.Container c && c.kind() == Value.Kind.DICT) {
            if (!c.complete()) {
                throw new ConvertException("a dict has more entries than Laocoon keeps (" + c.size() + ")");
            }
            LinkedHashMap<String, Node> m = new LinkedHashMap<>();
            java.util.Set<String> fromInts = new java.util.HashSet<>();
            for (int i = 0; i + 1 < c.keptCount(); i += 2) {
                put(m, fromInts, c.item(i), c.item(i + 1), depth);
            }
            return new Node.Mapping("dict", m);
        }
        if (v instanceof Value.Call call && call.callee() instanceof Value.Global g && g.name().known()) {
            String name = g.name().path();
            if (name.equals("collections.OrderedDict")) {
                return orderedDict(call, depth);
            }
            if (TENSOR_REBUILDS.contains(name)) {
                return tensor(call, name);
            }
            if (PARAMETER_REBUILDS.contains(name)) {
                Value.Container args = args(call);
                if (args.keptCount() >= 1) {
                    Node data = resolve(args.item(0), depth + 1);
                    if (data instanceof Node.Tensor || data instanceof Node.Other o && o.problem() != null) {
                        return data;
                    }
                }
                return new Node.Other("a parameter without tensor data", "parameter data is not a tensor");
            }
            return Node.Other.of("an object made by " + name + "(...)");
        }
        if (v instanceof Value.Call call) {
            GlobalName root = call.rootGlobal();
            return Node.Other.of("an object made by " + (root == null ? "an unknown call" : root.display() + "(...)"));
        }
        return Node.Other.of(describe(v));
    }

    private void put(LinkedHashMap<String, Node> m, java.util.Set<String> fromInts, Value key, Value value, int depth)
            throws ConvertException, IOException {
        if (key instanceof Value.Str s && s.complete()) {
            if (fromInts.contains(s.text())) {
                throw new ConvertException("a dict has both the int key " + s.text() + " and the string key '" + s.text()
                        + "'; their tensors would take the same name");
            }
            m.put(s.text(), resolve(value, depth + 1));
        } else if (key instanceof Value.Int i) {
            String name = i.value().toString(); // e.g. optimizer state by parameter index
            if (m.containsKey(name) && !fromInts.contains(name)) {
                throw new ConvertException("a dict has both the string key '" + name + "' and the int key " + name
                        + "; their tensors would take the same name");
            }
            fromInts.add(name);
            m.put(name, resolve(value, depth + 1));
        } else {
            m.put("<key " + key.render(40) + ">", Node.Other.of("an entry whose key is not a string"));
        }
    }

    private Node orderedDict(Value.Call call, int depth) throws ConvertException, IOException {
        Value.Container args = args(call);
        if (args.size() != 0) {
            return Node.Other.of("an OrderedDict built from arguments");
        }
        LinkedHashMap<String, Node> m = new LinkedHashMap<>();
        java.util.Set<String> fromInts = new java.util.HashSet<>();
        for (TraceEvent.Invoke inv : methodCalls.getOrDefault(call, List.of())) {
            if (!inv.method().equals("__setitem__") || !(inv.args() instanceof Value.Container items)) {
                return Node.Other.of("an OrderedDict changed with " + inv.method());
            }
            if (!items.complete()) {
                throw new ConvertException("an OrderedDict has more entries than Laocoon keeps");
            }
            for (int i = 0; i + 1 < items.keptCount(); i += 2) {
                put(m, fromInts, items.item(i), items.item(i + 1), depth);
            }
        }
        return new Node.Mapping("OrderedDict", m);
    }

    private static Value.Container args(Value.Call call) throws ConvertException {
        if (call.args() instanceof Value.Container t && t.kind() == Value.Kind.TUPLE) {
            if (!t.complete()) {
                throw new ConvertException("call arguments longer than Laocoon keeps");
            }
            return t;
        }
        throw new ConvertException("call arguments are not a tuple");
    }

    /** _rebuild_tensor(storage, offset, size, stride), _v2(..., requires_grad, hooks[, metadata]), _v3(..., dtype[, metadata]). */
    private Node tensor(Value.Call call, String name) throws ConvertException, IOException {
        Value.Container a = args(call);
        int needed = name.endsWith("_v3") ? 7 : name.endsWith("_v2") ? 6 : 4;
        if (a.size() < needed) {
            return new Node.Other("a tensor", name + " is called with " + a.size() + " arguments");
        }
        DType dtype = null;
        if (name.endsWith("_v3")) {
            if (!(a.item(6) instanceof Value.Global g) || !g.name().known() || !g.name().resolvedModule().equals("torch")
                    || (dtype = DType.ofTorchName(g.name().resolvedName())) == null) {
                return new Node.Other("a tensor", "dtype " + a.item(6).render(40) + " cannot be stored in safetensors");
            }
        }
        if (!(a.item(0) instanceof Value.Persistent p) || !(p.pid() instanceof Value.Container pid)
                || pid.kind() != Value.Kind.TUPLE || !pid.complete() || pid.size() < 1
                || !(pid.item(0) instanceof Value.Str tag) || !tag.text().equals("storage")) {
            return new Node.Other("a tensor", "its storage is not a ('storage', ...) persistent id");
        }
        Storage storage;
        try {
            storage = storage(pid);
        } catch (Unsupported u) {
            return new Node.Other("a tensor", u.getMessage());
        }
        if (dtype == null) {
            dtype = storage.dtype();
        }
        long offset = integer(a.item(1), "storage offset");
        long[] size = ints(a.item(2), "size");
        long[] stride = ints(a.item(3), "stride");
        if (size.length != stride.length) {
            return new Node.Other("a tensor", "size " + a.item(2).render(60) + " and stride " + a.item(3).render(60)
                    + " differ in length");
        }
        return checked(new TensorRef(dtype, size, stride, offset, storage));
    }

    /** Refuses what torch itself would refuse: negative values and views past the end of the storage. */
    private static Node checked(TensorRef t) {
        long es = t.dtype().size();
        if (t.offset() < 0) {
            return new Node.Other("a tensor", "negative storage offset " + t.offset());
        }
        long elements = 1;
        long last = t.offset();
        try {
            for (int i = 0; i < t.rank(); i++) {
                if (t.dim(i) < 0 || t.strideOf(i) < 0) {
                    return new Node.Other("a tensor", "negative size or stride " + t.shapeText());
                }
                elements = Math.multiplyExact(elements, t.dim(i));
                if (t.dim(i) > 0) {
                    last = Math.addExact(last, Math.multiplyExact(t.dim(i) - 1, t.strideOf(i)));
                }
            }
            long storageBytes = t.storage().bytes().size();
            if (elements > 0 && Math.multiplyExact(last + 1, es) > storageBytes) {
                return new Node.Other("a tensor", "shape " + t.shapeText() + " with stride "
                        + java.util.Arrays.toString(t.stride()) + " and offset " + t.offset()
                        + " reads past the end of storage '" + t.storage().key() + "' (" + storageBytes + " bytes)");
            }
            if (Math.multiplyExact(elements, es) > storageBytes) {
                // only overlapping strides (an expanded view, stride 0) read more bytes than the storage has
                return new Node.Other("a tensor", "shape " + t.shapeText() + " with stride "
                        + java.util.Arrays.toString(t.stride()) + " repeats elements of its " + storageBytes
                        + "-byte storage; written out it would take " + elements * es + " bytes");
            }
            if (elements == 0 && Math.multiplyExact(t.offset(), es) > storageBytes) {
                return new Node.Other("a tensor", "storage offset " + t.offset() + " lies past the end of its storage");
            }
        } catch (ArithmeticException overflow) {
            return new Node.Other("a tensor", "shape " + t.shapeText() + " overflows");
        }
        return new Node.Tensor(t);
    }

    /** Thrown for a storage that is well-formed but of a kind safetensors cannot hold. */
    private static final class Unsupported extends ConvertException {
        Unsupported(String message) {
            super(message);
        }
    }

    /**
     * As torch's loaders do: a storage is made once per key, and (legacy layout) a view once per
     * view key, in the same table, whatever offset a later id with that view key gives.
     */
    private Storage storage(Value.Container pid) throws ConvertException, IOException {
        String key = pid.size() > 2 && pid.item(2) instanceof Value.Str s ? s.text() : null;
        if (pid.size() > 5 && pid.item(5) != Value.NONE) {
            key = pid.item(5) instanceof Value.Container view && view.size() == 3 && view.complete()
                    && view.item(0) instanceof Value.Str vk ? vk.text() : null;
        }
        Storage known = key == null ? null : storages.get(key);
        if (known != null) {
            return known;
        }
        Storage s = lookup.storage(pid);
        if (key != null) {
            storages.put(key, s);
        }
        return s;
    }

    /** The element type of a {@code torch.<Type>Storage} global ({@code U8} for an untyped storage). */
    private static DType storageType(Value v) throws ConvertException {
        if (!(v instanceof Value.Global g) || !g.name().known()) {
            throw new ConvertException("storage type " + v.render(60) + " is not a global");
        }
        GlobalName n = g.name();
        if (!n.resolvedModule().equals("torch") && !n.resolvedModule().equals("torch.storage")) {
            throw new ConvertException("storage type " + n.display() + " is not a torch storage class");
        }
        if (n.resolvedName().equals("UntypedStorage")) {
            return DType.U8;
        }
        DType d = DType.ofStorageClass(n.resolvedName());
        if (d == null) {
            throw new Unsupported("storage type " + n.display() + " has no safetensors dtype");
        }
        return d;
    }

    static String text(Value v, String what) throws ConvertException {
        if (v instanceof Value.Str s && s.complete()) {
            return s.text();
        }
        if (v instanceof Value.Bytes b && b.complete()) {
            return new String(b.data(), java.nio.charset.StandardCharsets.US_ASCII);
        }
        throw new ConvertException(what + " " + v.render(60) + " is not a string");
    }

    static long integer(Value v, String what) throws ConvertException {
        if (v instanceof Value.Int i && i.value().bitLength() < 63) {
            return i.value().longValue();
        }
        throw new ConvertException(what + " " + v.render(60) + " is not an integer");
    }

    /** A tuple of ints, or torch.Size(tuple). */
    private static long[] ints(Value v, String what) throws ConvertException {
        if (v instanceof Value.Call c && c.callee() instanceof Value.Global g && g.name().known()
                && g.name().path().equals("torch.Size") && c.args() instanceof Value.Container a && a.size() == 1) {
            v = a.item(0);
        }
        if (!(v instanceof Value.Container t) || (t.kind() != Value.Kind.TUPLE && t.kind() != Value.Kind.LIST)
                || !t.complete()) {
            throw new ConvertException(what + " " + v.render(60) + " is not a tuple of integers");
        }
        long[] out = new long[t.keptCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = integer(t.item(i), what);
        }
        return out;
    }

    private static String describe(Value v) {
        return switch (v.kind()) {
            case NONE -> "None";
            case BOOL, INT, FLOAT -> v.kind().name().toLowerCase() + " " + v.render(40);
            case STR -> "str " + v.render(40);
            case BYTES, BYTEARRAY -> "bytes";
            case LIST, TUPLE, SET, FROZENSET -> v.kind().name().toLowerCase() + " of "
                    + ((Value.Container) v).size() + " items";
            case GLOBAL -> "the global " + v.render(60);
            case PERSISTENT -> "a bare storage";
            default -> v.render(60);
        };
    }

    static long littleEndian(byte[] b) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[i] & 0xff);
        }
        return v;
    }
}

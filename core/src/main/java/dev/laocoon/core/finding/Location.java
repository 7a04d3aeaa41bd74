package dev.laocoon.core.finding;

import java.util.List;

/**
 * Where a finding is: a file, an optional chain of members inside containers
 * (archive members, nested pickles), the index of the pickle in its stream, a byte offset, and
 * optionally a place inside the format's own structure ({@link Within}: a GGUF key with line and
 * column of its template, a JSON pointer in a Keras config, a graph node, a tensor).
 * Rendered as {@code model.pt!archive/data.pkl#1@812} or {@code model.gguf[tokenizer.chat_template:3:14]}.
 */
public record Location(String file, List<String> members, int pickleIndex, long offset, Within within) {

    /**
     * A place inside a format's structure. {@code kind}: {@code gguf-key}, {@code json-pointer},
     * {@code hdf5-attribute}, {@code node}, {@code tensor}, {@code element}, or {@code text} (a text
     * file's own line and column: manifests, Dockerfiles, workflows); {@code path}: the key, pointer
     * or name; {@code line}/{@code column}: 1-based position in a text value (0 when none).
     */
    public record Within(String kind, String path, int line, int column) {

        /** The kind whose line and column are those of the file itself (not of a value inside it). */
        public static final String TEXT = "text";

        /** A place in a text file: its line and column (1-based) and a path naming it ({@code spec.hostNetwork}). */
        public static Within text(String path, int line, int column) {
            return new Within(TEXT, path, line, column);
        }

        /** True when line and column are the file's own (SARIF gives them as a region). */
        public boolean inFile() {
            return TEXT.equals(kind) && line > 0;
        }

        public static Within of(String kind, String path) {
            return new Within(kind, path, 0, 0);
        }

        /** {@code path}, or {@code path:line:column} when there is a position. */
        public String render() {
            return line > 0 ? path + ":" + line + ":" + column : path;
        }
    }

    public Location {
        members = List.copyOf(members);
    }

    public Location(String file, List<String> members, int pickleIndex, long offset) {
        this(file, members, pickleIndex, offset, null);
    }

    public static Location of(String file) {
        return new Location(file, List.of(), -1, -1);
    }

    public Location withMember(String member) {
        var m = new java.util.ArrayList<>(members);
        m.add(member);
        return new Location(file, m, -1, -1);
    }

    public Location at(int pickle, long off) {
        return new Location(file, members, pickle, off, within);
    }

    /** The same location with a place inside the format's structure. */
    public Location within(Within w) {
        return new Location(file, members, pickleIndex, offset, w);
    }

    /** Member path without the file, e.g. {@code archive/data.pkl}; empty when the finding is in the file itself. */
    public String memberPath() {
        return String.join("!", members);
    }

    public String render() {
        StringBuilder sb = new StringBuilder(file);
        if (within != null && within.inFile() && members.isEmpty() && offset < 0) {
            // a text file: file:line:column, as editors and compilers print it, then the path
            sb.append(':').append(within.line()).append(':').append(within.column());
            if (!within.path().isEmpty()) {
                sb.append('[').append(within.path()).append(']');
            }
            return sb.toString();
        }
        for (String m : members) {
            sb.append('!').append(m);
        }
        if (pickleIndex > 0) {
            sb.append('#').append(pickleIndex);
        }
        if (offset >= 0) {
            sb.append('@').append(offset);
        }
        if (within != null) {
            sb.append('[').append(within.render()).append(']');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return render();
    }
}

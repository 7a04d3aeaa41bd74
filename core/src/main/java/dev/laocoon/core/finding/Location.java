package dev.laocoon.core.finding;

import java.util.List;

/**
 * Where a finding is: a file, an optional chain of members inside containers
 * (archive members, nested pickles), the index of the pickle in its stream and a byte offset.
 * Rendered as {@code model.pt!archive/data.pkl#1@812}.
 */
public record Location(String file, List<String> members, int pickleIndex, long offset) {

    public Location {
        members = List.copyOf(members);
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
        return new Location(file, members, pickle, off);
    }

    /** Member path without the file, e.g. {@code archive/data.pkl}; empty when the finding is in the file itself. */
    public String memberPath() {
        return String.join("!", members);
    }

    public String render() {
        StringBuilder sb = new StringBuilder(file);
        for (String m : members) {
            sb.append('!').append(m);
        }
        if (pickleIndex > 0) {
            sb.append('#').append(pickleIndex);
        }
        if (offset >= 0) {
            sb.append('@').append(offset);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return render();
    }
}

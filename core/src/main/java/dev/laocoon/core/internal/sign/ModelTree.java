package dev.laocoon.core.internal.sign;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Enumerates the regular files of a model (a directory or one file) as OMS names them: relative
 * paths with '/' separators, default and user exclusions applied, symbolic links refused unless
 * allowed (then followed, with cycles refused).
 */
public final class ModelTree {
    /** Top-level paths that OMS excludes by default. */
    public static final List<String> DEFAULT_IGNORES = List.of(".git", ".gitattributes", ".github", ".gitignore");

    /** One file of the model. */
    public record Entry(String name, Path path, long size) {
    }

    /** A model that cannot be enumerated as OMS requires (a refused link, a special file...). */
    public static final class TreeException extends Exception {
        public TreeException(String message) {
            super(message);
        }
    }

    private ModelTree() {
    }

    /**
     * The files of a directory model, sorted by name in code-point order.
     *
     * @param ignores relative paths (canonical, '/'-separated) excluded with their subtrees
     * @param linkHint what to say after a refused link's name
     */
    public static List<Entry> list(Path root, Collection<String> ignores, boolean allowSymlinks, String linkHint)
            throws IOException, TreeException {
        List<Entry> out = new ArrayList<>();
        Set<Path> stack = new HashSet<>();
        stack.add(root.toRealPath());
        walk(root, "", ignores, allowSymlinks, linkHint, stack, out);
        out.sort((x, y) -> compareCodePoints(x.name(), y.name()));
        return out;
    }

    private static void walk(Path dir, String prefix, Collection<String> ignores, boolean allowSymlinks,
            String linkHint, Set<Path> stack, List<Entry> out) throws IOException, TreeException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                children.add(p);
            }
        }
        for (Path child : children) {
            String fn = child.getFileName().toString();
            if (fn.indexOf('\uFFFD') >= 0) {
                throw new TreeException("file name is not valid UTF-8: " + prefix + fn);
            }
            String name = prefix + fn;
            if (ignored(name, ignores)) {
                continue;
            }
            BasicFileAttributes a = Files.readAttributes(child, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink()) {
                if (!allowSymlinks) {
                    throw new TreeException("symbolic link refused: " + name + " (" + linkHint + ")");
                }
                try {
                    a = Files.readAttributes(child, BasicFileAttributes.class);
                } catch (NoSuchFileException e) {
                    throw new TreeException("broken symbolic link: " + name);
                }
            }
            if (a.isDirectory()) {
                Path real = child.toRealPath();
                if (!stack.add(real)) {
                    throw new TreeException("symbolic link loop: " + name);
                }
                walk(child, name + "/", ignores, allowSymlinks, linkHint, stack, out);
                stack.remove(real);
            } else if (a.isRegularFile()) {
                out.add(new Entry(name, child, a.size()));
            } else {
                throw new TreeException("not a regular file or directory: " + name);
            }
        }
    }

    /** True when {@code name} is one of {@code ignores} or lies under one of them. */
    public static boolean ignored(String name, Collection<String> ignores) {
        for (String i : ignores) {
            if (name.equals(i) || (name.startsWith(i) && name.length() > i.length() && name.charAt(i.length()) == '/')) {
                return true;
            }
        }
        return false;
    }

    /**
     * A user's ignore path made relative to the model root ('/'-separated, '.' parts dropped), or
     * null when it lies outside the root.
     */
    public static String relativeIgnore(Path root, String given) {
        Path p = Path.of(given);
        Path rel;
        if (p.isAbsolute()) {
            Path r = root.toAbsolutePath().normalize();
            Path n = p.normalize();
            if (!n.startsWith(r)) {
                return null;
            }
            rel = r.relativize(n);
        } else {
            rel = p.normalize();
        }
        return canonical(rel.toString().replace(java.io.File.separatorChar, '/'));
    }

    /** A relative '/'-path without '.', empty or '..' parts, or null when it has '..' or is absolute. */
    public static String canonical(String s) {
        if (s.startsWith("/")) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (String part : s.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                return null;
            }
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(part);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    /** Orders strings by Unicode code point, as OMS sorts resource names. */
    public static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}

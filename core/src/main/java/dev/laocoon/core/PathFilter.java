package dev.laocoon.core;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * Which files of a tree a walk takes: {@code --include} and {@code --exclude} globs matched against a
 * file's path inside the tree or its name, and version-control folders left out. One definition for
 * tree scans, audits and the service client, so that they select the same files.
 */
public final class PathFilter {
    private final List<PathMatcher> include;
    private final List<PathMatcher> exclude;

    private PathFilter(List<PathMatcher> include, List<PathMatcher> exclude) {
        this.include = include;
        this.exclude = exclude;
    }

    /** The filter of these globs; an invalid glob is an {@link IllegalArgumentException} that names it. */
    public static PathFilter of(List<String> includes, List<String> excludes) {
        return new PathFilter(matchers(includes), matchers(excludes));
    }

    private static List<PathMatcher> matchers(List<String> globs) {
        List<PathMatcher> m = new ArrayList<>();
        for (String g : globs) {
            try {
                // "tests/" names the folder "tests" (paths are matched without a trailing separator)
                String glob = g.length() > 1 && g.endsWith("/") ? g.substring(0, g.length() - 1) : g;
                m.add(FileSystems.getDefault().getPathMatcher("glob:" + glob));
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new IllegalArgumentException("bad glob '" + g + "': " + e.getDescription());
            }
        }
        return m;
    }

    /** Whether the file at {@code rel} (its path inside the tree) is taken: no exclude names it, an include does (if any). */
    public boolean selected(Path rel) {
        if (matches(exclude, rel)) {
            return false;
        }
        return include.isEmpty() || matches(include, rel);
    }

    /** Whether the walk leaves out the folder at {@code rel}: a version-control folder, or one an exclude names. */
    public boolean skipsFolder(Path rel) {
        return vcs(rel) || matches(exclude, rel);
    }

    private static boolean matches(List<PathMatcher> ms, Path rel) {
        Path name = rel.getFileName();
        for (PathMatcher m : ms) {
            if (m.matches(rel) || (name != null && m.matches(name))) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code rel} is in or is a version-control folder ({@code .git}, {@code .hg}, {@code .svn}). */
    public static boolean vcs(Path rel) {
        for (Path part : rel) {
            String n = part.toString();
            if (n.equals(".git") || n.equals(".hg") || n.equals(".svn")) {
                return true;
            }
        }
        return false;
    }
}

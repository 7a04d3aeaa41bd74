package dev.laocoon.cli;

import dev.laocoon.cli.GateCommand.Refused;
import dev.laocoon.core.source.remote.HubClient;
import dev.laocoon.core.source.remote.NetworkGuard;
import dev.laocoon.core.source.remote.ObjectLister;
import dev.laocoon.core.source.remote.RemoteFetcher;
import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The gate's fetch into its staging folder: a local tree copied on all processors (hashed on the
 * way when a signature is to be checked), or the files of a remote source downloaded; with every
 * check of names, links, special files and the size bound. {@link GateCommand} does the rest.
 */
final class GateFetch {
    private GateFetch() {
    }

    /** What was fetched: bytes and files, and the source's revision (a hub commit) when known. */
    static final class Fetched {
        long bytes;
        int files;
        String revision;
        final List<String> entries = new ArrayList<>();
        /** How to hash while copying (null: no signature to check, or a bundle the plan cannot be read from). */
        final dev.laocoon.core.sign.HashPlan plan;
        /** The digests computed while copying or downloading (a signature is checked), or null. */
        final dev.laocoon.core.sign.KnownDigests known;

        Fetched(dev.laocoon.core.sign.HashPlan plan, boolean signed) {
            this.plan = plan;
            this.known = signed ? new dev.laocoon.core.sign.KnownDigests() : null;
        }
    }

    /** A file to copy into the staging folder, with the size its bound was checked on. */
    private record Copy(Path from, Path to, long size) {
    }

    static void fetch(String src, Path model, long maxBytes, Args a, Fetched got) throws IOException, Refused {
        String lower = src.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://") || lower.startsWith("hf://")
                || lower.startsWith("s3://")) {
            fetchRemote(src, model, maxBytes, a, got);
        } else {
            Path root = lower.startsWith("file://") ? Path.of(URI.create(src)) : Path.of(src);
            if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
                throw new NoSuchFileException(src + ": no such file or folder");
            }
            root = root.toRealPath();
            List<Copy> copies = new ArrayList<>();
            if (Files.isDirectory(root)) {
                copyTree(root, root, model, maxBytes, got, copies);
            } else {
                copyFile(root, root.getParent(), model.resolve(root.getFileName().toString()), maxBytes, got, copies);
            }
            copy(copies, got);
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(model)) {
            for (Path p : ds) {
                got.entries.add(p.getFileName().toString());
            }
        }
        if (got.files == 0) {
            throw new Refused(src + " holds no file");
        }
    }

    private static void copyTree(Path root, Path dir, Path to, long maxBytes, Fetched got, List<Copy> copies)
            throws IOException, Refused {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                children.add(p);
            }
        }
        children.sort(null);
        for (Path p : children) {
            String name = p.getFileName().toString();
            if (dir.equals(root) && (name.equals(".git") || name.equals(GateCommand.REPORT))) {
                continue;
            }
            Path target = to.resolve(name);
            if (Files.isSymbolicLink(p)) {
                Path real;
                try {
                    real = p.toRealPath();
                } catch (IOException e) {
                    throw new Refused(root.relativize(p) + " is a symbolic link to nothing");
                }
                if (!real.startsWith(root)) {
                    throw new Refused(root.relativize(p) + " is a symbolic link out of " + root + " (to " + real + ")");
                }
                if (Files.isDirectory(real)) {
                    throw new Refused(root.relativize(p) + " is a symbolic link to a folder (not copied)");
                }
                copyFile(real, root, target, maxBytes, got, copies);
            } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(target);
                copyTree(root, p, target, maxBytes, got, copies);
            } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                copyFile(p, root, target, maxBytes, got, copies);
            } else {
                throw new Refused(root.relativize(p) + " is not a regular file (a device, pipe or socket)");
            }
        }
    }

    /** Checks a file against the bound and adds it to the copies (made by {@link #copy}). */
    private static void copyFile(Path from, Path root, Path to, long maxBytes, Fetched got, List<Copy> copies)
            throws Refused, IOException {
        long size = Files.size(from);
        if (got.bytes + size > maxBytes) {
            throw new Refused((root == null ? from : root.relativize(from)) + " takes the model past --max-bytes "
                    + maxBytes);
        }
        copies.add(new Copy(from, to, size));
        got.bytes += size;
        got.files++;
    }

    /**
     * Makes the copies, on as many threads as there are processors. With a hash plan each file is
     * hashed from the bytes written while it is copied ({@link dev.laocoon.core.sign.KnownDigests#copy});
     * without one the JDK copies it. Either way a file that is not the size it was checked at
     * (it changed in SRC meanwhile) fails the gate.
     */
    private static void copy(List<Copy> copies, Fetched got) throws IOException {
        int n = Math.min(copies.size(), Math.max(1, Runtime.getRuntime().availableProcessors()));
        if (n <= 1) {
            for (Copy c : copies) {
                copyOne(c, got);
            }
            return;
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "laocoon-gate-copy");
            t.setDaemon(true);
            return t;
        });
        try {
            // largest first, so that the last file to start is a small one
            List<Copy> order = new ArrayList<>(copies);
            order.sort((x, y) -> Long.compare(y.size(), x.size()));
            List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
            for (Copy c : order) {
                fs.add(pool.submit(() -> {
                    copyOne(c, got);
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IOException(e.getCause());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while copying");
        } finally {
            // the others stop (interrupted) before the staging folder is removed, so that none
            // creates a file in it afterwards
            pool.shutdownNow();
            try {
                pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void copyOne(Copy c, Fetched got) throws IOException {
        if (got.plan == null) {
            Files.copy(c.from(), c.to(), StandardCopyOption.COPY_ATTRIBUTES);
            long now = Files.size(c.to());
            if (now != c.size()) {
                throw new IOException(c.from() + " changed while it was copied (" + c.size() + " bytes, then " + now + ")");
            }
            return;
        }
        got.known.copy(c.from(), c.to(), got.plan, c.size());
        try {
            Files.setLastModifiedTime(c.to(), Files.getLastModifiedTime(c.from()));
            java.nio.file.attribute.PosixFileAttributeView v = Files.getFileAttributeView(c.to(),
                    java.nio.file.attribute.PosixFileAttributeView.class);
            if (v != null) {
                v.setPermissions(Files.getPosixFilePermissions(c.from()));
            }
        } catch (UnsupportedOperationException e) {
            // a file system without POSIX permissions: the copy keeps its defaults
        }
    }

    private static void fetchRemote(String src, Path model, long maxBytes, Args a, Fetched got) throws IOException, Refused {
        NetworkGuard guard = NetworkGuard.allowing(a.all("--allow-host"), a.flag("--allow-private"));
        String lower = src.toLowerCase(Locale.ROOT);
        RemoteFetcher.Builder b = RemoteFetcher.builder(guard);
        URI hub = null;
        String token = null;
        if (lower.startsWith("hf://")) {
            hub = RemoteCommands.hubUrl(a);
            token = RemoteCommands.token(a.value("--token-file", null));
            if (token != null && hub.getHost() != null) {
                b.authorization(hub.getHost(), "Bearer " + token);
            }
        }
        try (RemoteFetcher fetcher = b.build()) {
            List<String[]> items = new ArrayList<>(); // {relative path, url, expected size or -1}
            Map<String, String> headers = new HashMap<>();
            if (lower.startsWith("hf://")) {
                HubClient client = new HubClient(fetcher, hub, token != null);
                HubClient.Ref ref = HubClient.parse(src);
                String commit = client.resolve(ref);
                got.revision = commit;
                for (HubClient.Entry e : client.list(ref, commit)) {
                    items.add(new String[] {e.path(), client.fileUrl(ref, commit, e.path()).toString(), Long.toString(e.size())});
                }
            } else if (lower.startsWith("s3://")) {
                Map<String, String> options = RemoteCommands.s3Options(a);
                String prefix = src.substring(5);
                prefix = prefix.indexOf('/') < 0 ? "" : prefix.substring(prefix.indexOf('/') + 1);
                int cut = prefix.endsWith("/") || prefix.isEmpty() ? prefix.length() : prefix.lastIndexOf('/') + 1;
                for (ObjectLister.RemoteObject o : RemoteCommands.lister("s3").list(src, guard, options)) {
                    String key = o.name().substring(o.name().indexOf('/', 5) + 1);
                    String rel = key.length() > cut && key.startsWith(prefix.substring(0, cut)) ? key.substring(cut) : key;
                    items.add(new String[] {rel, o.url().toString(), Long.toString(o.size())});
                    headers.putAll(o.headers());
                }
            } else {
                URI u = URI.create(src);
                String path = u.getPath() == null ? "" : u.getPath();
                String name = path.substring(path.lastIndexOf('/') + 1);
                items.add(new String[] {name.isEmpty() ? "model" : name, src, "-1"});
            }
            for (String[] it : items) {
                String rel = it[0];
                Path to = safe(model, rel);
                Files.createDirectories(to.getParent());
                long room = maxBytes - got.bytes;
                RemoteFetcher.Download d = fetcher.download(URI.create(it[1]), headers, to, room,
                        java.time.Duration.ofHours(6));
                if (d.status() != 200) {
                    throw new IOException(rel + ": " + RemoteFetcher.shown(d.uri()) + " answered HTTP " + d.status());
                }
                if (d.truncated()) {
                    throw new Refused(rel + " takes the model past --max-bytes " + maxBytes);
                }
                long expected = Long.parseLong(it[2]);
                if (expected >= 0 && d.length() != expected) {
                    throw new IOException(rel + " is " + d.length() + " bytes, the listing says " + expected);
                }
                if (got.known != null && d.sha256() != null) {
                    // the download hashed what it wrote: a whole-file SHA-256 signature need not read it again
                    got.known.put(to, 0, d.length(), "sha256", java.util.HexFormat.of().parseHex(d.sha256()));
                }
                got.bytes += d.length();
                got.files++;
            }
        }
    }

    /** {@code model/rel}, refused when {@code rel} would leave the folder or is not a plain relative name. */
    static Path safe(Path model, String rel) throws Refused {
        if (rel.isEmpty() || rel.startsWith("/") || rel.contains("\\") || rel.contains("\0")) {
            throw new Refused("unsafe file name '" + rel + "' in the source");
        }
        for (String part : rel.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new Refused("unsafe file name '" + rel + "' in the source (path traversal)");
            }
        }
        Path p = model.resolve(rel).normalize();
        if (!p.startsWith(model) || p.equals(model)) {
            throw new Refused("unsafe file name '" + rel + "' in the source");
        }
        return p;
    }
}

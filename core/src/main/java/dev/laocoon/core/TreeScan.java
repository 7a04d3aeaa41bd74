package dev.laocoon.core;

import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/** The walk of a tree scan: which files, in which order, on which threads. */
final class TreeScan {
    private TreeScan() {
    }

    /**
     * One file to scan; {@code tree} is the directory argument it was found under (null for a file
     * argument), {@code linkRoot} is set for a symbolic link found in that tree; {@code error} is
     * set for what cannot be scanned (missing, not a regular file, not listable).
     */
    private record Work(Path file, String display, Path tree, Path linkRoot, String error) {
    }

    static ScanReport scan(Scanner scanner, List<Path> arguments, List<String> includes, List<String> excludes,
                           Executor executor, Scanner.Progress progress) throws IOException {
        long t0 = System.nanoTime();
        PathFilter filter = PathFilter.of(includes, excludes);
        List<Work> work = new ArrayList<>();
        for (Path arg : arguments) {
            if (!Files.exists(arg, LinkOption.NOFOLLOW_LINKS)) {
                // reported, and the other arguments are scanned
                work.add(new Work(arg, arg.toString(), null, null, "no such file or directory"));
            } else if (Files.isDirectory(arg)) {
                work.addAll(list(arg, filter));
            } else {
                work.add(new Work(arg, arg.toString(), null, null, null));
            }
        }
        int total = work.size();
        List<FileReport> out = new ArrayList<>(total);
        if (executor == null || total < 2) {
            // One thread (no streams or lambdas: their first use costs milliseconds of start-up).
            for (Work w : work) {
                out.add(run(scanner, w));
                if (progress != null) {
                    progress.update(out.size(), total);
                }
            }
        } else {
            // Workers pull the next file from a shared counter: the calling thread is one of them,
            // the others run on the executor; results keep the sorted order.
            FileReport[] results = new FileReport[total];
            AtomicInteger next = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            Throwable[] failure = new Throwable[1];
            int helpers = Math.min(total, Math.max(2, Runtime.getRuntime().availableProcessors())) - 1;
            java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(helpers);
            Runnable worker = new Runnable() { // not a lambda: see the README's start-up notes
                @Override
                public void run() {
                    try {
                        for (int i; (i = next.getAndIncrement()) < total; ) {
                            results[i] = TreeScan.run(scanner, work.get(i));
                            if (progress != null) {
                                progress.update(done.incrementAndGet(), total);
                            }
                        }
                    } catch (RuntimeException | Error e) {
                        synchronized (failure) {
                            failure[0] = e;
                        }
                        next.set(total);
                    }
                }
            };
            for (int h = 0; h < helpers; h++) {
                executor.execute(new Runnable() {
                    @Override
                    public void run() {
                        try {
                            worker.run();
                        } finally {
                            finished.countDown();
                        }
                    }
                });
            }
            worker.run();
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("tree scan interrupted", e);
            }
            synchronized (failure) {
                if (failure[0] instanceof RuntimeException r) {
                    throw r;
                }
                if (failure[0] instanceof Error err) {
                    throw err;
                }
            }
            out.addAll(java.util.Arrays.asList(results));
        }
        externalData(scanner, work, out);
        out.removeIf(java.util.Objects::isNull);
        return new ScanReport(out, System.nanoTime() - t0);
    }

    /**
     * A file that an ONNX model of the same tree names as its external data is raw tensor bytes by
     * construction (onnx.load reads it as such, from the model's folder): when nothing else was
     * recognised in it, it is {@code onnx-external-data} and safe instead of an unknown format. A
     * file with any other finding keeps it.
     */
    private static void externalData(Scanner scanner, List<Work> work, List<FileReport> out) throws IOException {
        java.util.Map<Path, Integer> byPath = null;
        for (int i = 0; i < work.size(); i++) {
            Work w = work.get(i);
            FileReport r = out.get(i);
            if (w.tree() == null || w.linkRoot() != null || !r.formats().contains(Format.ONNX)
                    || r.size() > scanner.limits().maxMemberBytes()) {
                continue;
            }
            List<String> names;
            try {
                names = dev.laocoon.core.internal.analysis.ProtobufAnalyzer.externalData(Files.readAllBytes(w.file()));
            } catch (IOException gone) {
                continue; // its own entry says what happened to it
            }
            if (names.isEmpty()) {
                continue;
            }
            if (byPath == null) {
                byPath = new java.util.HashMap<>();
                for (int j = 0; j < work.size(); j++) {
                    if (work.get(j).tree() != null && work.get(j).linkRoot() == null) {
                        byPath.put(work.get(j).file().toAbsolutePath().normalize(), j);
                    }
                }
            }
            Path dir = w.file().toAbsolutePath().normalize().getParent();
            Path tree = w.tree().toAbsolutePath().normalize();
            for (String name : names) {
                Path target = dir.resolve(name).normalize();
                Integer j = target.startsWith(tree) ? byPath.get(target) : null;
                if (j == null) {
                    continue;
                }
                FileReport d = out.get(j);
                if (d.findings().size() == 1 && d.findings().get(0).rule() == dev.laocoon.core.finding.Rule.FORMAT_UNKNOWN
                        && d.formats().isEmpty() && !d.failed()) {
                    out.set(j, new FileReport(d.path(), List.of(Format.ONNX_EXTERNAL_DATA),
                            dev.laocoon.core.finding.Severity.SAFE, List.of(), null, d.size(), d.sha256(), d.bytesRead(),
                            d.elapsed()));
                }
            }
        }
    }

    /**
     * The files of a directory tree, sorted: version-control folders skipped; a folder that cannot
     * be read (or disappears during the walk) is an error entry and the walk goes on; files that
     * are not regular (FIFOs, devices, sockets) are error entries, never read.
     */
    private static List<Work> list(Path root, PathFilter filter) throws IOException {
        Path realRoot = root.toRealPath();
        List<Work> out = new ArrayList<>();
        Files.walkFileTree(root, java.util.EnumSet.noneOf(FileVisitOption.class), Integer.MAX_VALUE,
                new java.nio.file.SimpleFileVisitor<Path>() {
                    @Override
                    public java.nio.file.FileVisitResult preVisitDirectory(Path dir,
                            java.nio.file.attribute.BasicFileAttributes attrs) {
                        // version-control folders, and folders an --exclude glob names (by path in the tree or name)
                        return !dir.equals(root) && filter.skipsFolder(root.relativize(dir))
                                ? java.nio.file.FileVisitResult.SKIP_SUBTREE : java.nio.file.FileVisitResult.CONTINUE;
                    }

                    @Override
                    public java.nio.file.FileVisitResult visitFile(Path f, java.nio.file.attribute.BasicFileAttributes attrs) {
                        Path rel = root.relativize(f);
                        if (!filter.selected(rel)) {
                            return java.nio.file.FileVisitResult.CONTINUE;
                        }
                        String display = root.resolve(rel).toString();
                        if (attrs.isSymbolicLink()) {
                            out.add(new Work(f, display, root, realRoot, null));
                        } else if (attrs.isRegularFile()) {
                            out.add(new Work(f, display, root, null, null));
                        } else if (!attrs.isDirectory()) {
                            out.add(new Work(f, display, root, null, NOT_REGULAR));
                        }
                        return java.nio.file.FileVisitResult.CONTINUE;
                    }

                    @Override
                    public java.nio.file.FileVisitResult visitFileFailed(Path f, IOException e) {
                        out.add(new Work(f, root.resolve(root.relativize(f)).toString(), root, null,
                                "could not be read while listing the tree (" + Scanner.describe(e) + ")"));
                        return java.nio.file.FileVisitResult.CONTINUE;
                    }
                });
        out.sort(Comparator.comparing(w -> w.file().toString()));
        return out;
    }

    static final String NOT_REGULAR = "not a regular file (a FIFO, device or socket); it was not read"
            + " (for standard input, the command line takes -)";

    private static FileReport run(Scanner scanner, Work w) {
        if (w.error() != null) {
            return Scanner.failed(w.display(), w.error(), 0);
        }
        return w.linkRoot() != null ? link(scanner, w.file(), w.linkRoot(), w.display()) : scanner.scan(w.file(), w.display());
    }


    /**
     * True for a file of a Hugging Face cache snapshot: {@code REPO/snapshots/REV/PATH} linking to
     * {@code REPO/blobs/NAME} of the same repository folder ({@code models--ORG--NAME},
     * {@code datasets--...}, {@code spaces--...}), as huggingface_hub lays out its cache
     * (huggingface_hub/file_download.py: blobs are content-addressed, snapshots link to them).
     */
    static boolean huggingFaceBlob(Path link, Path target) throws IOException {
        Path abs = link.toAbsolutePath().normalize();
        for (Path p = abs.getParent(); p != null && p.getParent() != null; p = p.getParent()) {
            Path snapshots = p.getParent();
            if (snapshots.getFileName() != null && snapshots.getFileName().toString().equals("snapshots")
                    && snapshots.getParent() != null) {
                Path repo = snapshots.getParent();
                String n = repo.getFileName() == null ? "" : repo.getFileName().toString();
                if (!(n.startsWith("models--") || n.startsWith("datasets--") || n.startsWith("spaces--"))) {
                    return false;
                }
                Path blobs = repo.toRealPath().resolve("blobs");
                return target.getParent() != null && target.getParent().equals(blobs);
            }
        }
        return false;
    }

    /** A symbolic link: scanned when it stays inside the tree, reported when it leaves it. */
    private static FileReport link(Scanner scanner, Path f, Path realRoot, String display) {
        try {
            Path target = f.toRealPath();
            if (!target.startsWith(realRoot) && !(Files.isRegularFile(target)
                    && (scanner.followsSymlinks() || huggingFaceBlob(f, target)))) {
                return Scanner.link(display, "symbolic link to " + target + ", outside the scanned tree; not followed"
                        + " (--follow-symlinks follows it)");
            }
            if (Files.isDirectory(target)) {
                return null; // a folder inside the tree: its files are scanned where they are
            }
            if (!Files.isRegularFile(target)) {
                return scanner.scan(f, display);
            }
            return scanner.scan(target, display);
        } catch (IOException e) {
            return Scanner.link(display, "broken symbolic link (" + e.getMessage() + ")");
        }
    }
}

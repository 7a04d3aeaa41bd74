package dev.laocoon.batch;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.laocoon.core.PathFilter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/** {@code laocoon batch --list DIR}: a listing of a local tree as JSON lines (no Spark needed). */
final class Listing {
    private Listing() {
    }

    /** Writes one line per regular file under {@code root} (sorted, version-control folders skipped), hashed. */
    static int write(Path root, OutputStream out) throws IOException {
        Path base = root.toAbsolutePath().normalize();
        List<Path> files = new ArrayList<>();
        Files.walkFileTree(base, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return !dir.equals(base) && PathFilter.vcs(base.relativize(dir))
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) {
                    files.add(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                files.add(file); // listed anyway: its scan then says why it cannot be read
                return FileVisitResult.CONTINUE;
            }
        });
        files.sort(null);
        JsonFactory jf = new JsonFactory();
        int n = 0;
        for (Path f : files) {
            String sha = null;
            long size = -1;
            try {
                sha = sha256(f);
                size = Files.size(f);
            } catch (IOException e) {
                // no hash: the job scans it and reports why it cannot be read
            }
            try (JsonGenerator g = jf.createGenerator(new NonClosing(out))) {
                g.writeStartObject();
                g.writeStringField("uri", f.toUri().toString());
                g.writeStringField("path", base.relativize(f).toString());
                if (sha != null) {
                    g.writeStringField("sha256", sha);
                }
                if (size >= 0) {
                    g.writeNumberField("size", size);
                }
                g.writeEndObject();
            }
            out.write('\n');
            n++;
        }
        out.flush();
        return n;
    }

    /** The lister of {@code scheme} from the class path (the s3 module's), or an exception saying how to add it (no Spark needed). */
    static dev.laocoon.core.source.remote.ObjectLister lister(String scheme) throws IOException {
        dev.laocoon.core.source.remote.ObjectLister l = dev.laocoon.core.source.remote.ObjectLister.find(scheme);
        if (l == null) {
            throw new IOException(scheme + ":// needs the s3 module's jar on the class path (s3/target/laocoon-s3.jar: the"
                    + " launcher adds it when built; spark-submit --jars)");
        }
        return l;
    }

    /** The objects an s3:// prefix holds, one line each (their SHA-256 when the store keeps one). */
    static int writeObjects(List<dev.laocoon.core.source.remote.ObjectLister.RemoteObject> objects, OutputStream out)
            throws IOException {
        JsonFactory jf = new JsonFactory();
        for (var o : objects) {
            try (JsonGenerator g = jf.createGenerator(new NonClosing(out))) {
                g.writeStartObject();
                g.writeStringField("uri", o.shownUrl());
                g.writeStringField("path", o.shownUrl().substring(o.shownUrl().indexOf('/', 5) + 1));
                if (o.claimedSha256() != null) {
                    g.writeStringField("sha256", o.claimedSha256());
                }
                if (o.size() >= 0) {
                    g.writeNumberField("size", o.size());
                }
                g.writeEndObject();
            }
            out.write('\n');
        }
        out.flush();
        return objects.size();
    }

    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream o) {
            super(o);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /** The hex SHA-256 of a local file (core's, as the scans compute it). */
    static String sha256(java.nio.file.Path p) throws java.io.IOException {
        try (dev.laocoon.core.source.FileByteSource src = new dev.laocoon.core.source.FileByteSource(p)) {
            return dev.laocoon.core.source.Spool.sha256(src);
        }
    }
}

package dev.laocoon.server;

import dev.laocoon.core.FileReport;
import dev.laocoon.core.ScanReport;
import dev.laocoon.core.Scanner;
import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.finding.Severity;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * A repository upload: a tar, tar.gz or zip of a model repository, unpacked into a private folder
 * of the temporary space (its bytes count against {@code limits.maxTempBytes}) and scanned as a
 * directory scan, one report per member. Members whose path is absolute or climbs out
 * ({@code ..}), links and special files are not unpacked; each is a {@code suspicious} entry of the
 * report (never a silent skip). More than {@link #MAX_MEMBERS} members: the rest are one
 * {@code suspicious} entry (analysis incomplete).
 */
final class Repository {
    static final int MAX_MEMBERS = 100_000;

    private Repository() {
    }

    /** The archive kind from the first bytes, or null when the file is none of tar, tar.gz, zip. */
    static String kind(Path f) throws IOException {
        byte[] h = new byte[512];
        int n;
        try (InputStream in = Files.newInputStream(f)) {
            n = in.readNBytes(h, 0, h.length);
        }
        if (n >= 4 && h[0] == 'P' && h[1] == 'K' && (h[2] == 3 || h[2] == 5)) {
            return "zip";
        }
        if (n >= 2 && (h[0] & 0xff) == 0x1f && (h[1] & 0xff) == 0x8b) {
            return "tar.gz";
        }
        if (n >= 262 && h[257] == 'u' && h[258] == 's' && h[259] == 't' && h[260] == 'a' && h[261] == 'r') {
            return "tar";
        }
        return null;
    }

    /** Unpacks and scans; the folder is removed afterwards whatever happens. */
    static ScanReport scan(Scanner scanner, TempSpace temp, Path archive, String kind) throws IOException {
        long t0 = System.nanoTime();
        Path dir = temp.createFolder();
        List<FileReport> extra = new ArrayList<>();
        TempSpace.Reservation space = temp.reservation();
        try {
            try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive));
                 ArchiveInputStream<? extends ArchiveEntry> in = open(raw, kind)) {
                ArchiveEntry e;
                int members = 0;
                while ((e = in.getNextEntry()) != null) {
                    String name = e.getName();
                    if (++members > MAX_MEMBERS) {
                        extra.add(incomplete(name, "more than " + MAX_MEMBERS + " members; the rest were not scanned"));
                        break;
                    }
                    if (e.isDirectory()) {
                        continue;
                    }
                    String why = refuse(e);
                    if (why != null) {
                        extra.add(incomplete(name, why));
                        continue;
                    }
                    Path out = dir.resolve(name).normalize();
                    if (!out.startsWith(dir) || out.equals(dir)) {
                        extra.add(incomplete(name, "the member's path leaves the repository; it was not unpacked"));
                        continue;
                    }
                    if (Files.exists(out)) {
                        extra.add(incomplete(name, "a second member with this path; only the first was scanned"));
                        continue;
                    }
                    Files.createDirectories(out.getParent());
                    try (OutputStream o = Files.newOutputStream(out)) {
                        byte[] buf = new byte[64 * 1024];
                        int r;
                        while ((r = in.read(buf)) >= 0) {
                            space.reserve(r);
                            o.write(buf, 0, r);
                        }
                    }
                }
            } catch (TempSpace.Full e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                extra.add(incomplete("(archive)", "the archive could not be read to its end (" + e.getMessage()
                        + "); members after that point were not scanned"));
            }
            ScanReport tree = scanner.scan(List.of(dir));
            List<FileReport> files = new ArrayList<>();
            String prefix = dir.toString() + java.io.File.separator;
            for (FileReport f : tree.files()) {
                files.add(rename(f, f.path().startsWith(prefix) ? f.path().substring(prefix.length()) : f.path(), prefix));
            }
            files.addAll(extra);
            files.sort((a, b) -> a.path().compareTo(b.path()));
            return new ScanReport(files, System.nanoTime() - t0);
        } finally {
            space.close();
            temp.removeFolder(dir);
        }
    }

    @SuppressWarnings("unchecked")
    private static ArchiveInputStream<? extends ArchiveEntry> open(InputStream raw, String kind) throws IOException {
        return switch (kind) {
            case "zip" -> new ZipArchiveInputStream(raw);
            case "tar.gz" -> new TarArchiveInputStream(new GzipCompressorInputStream(raw));
            default -> new TarArchiveInputStream(raw);
        };
    }

    private static String refuse(ArchiveEntry e) {
        String n = e.getName();
        if (n.startsWith("/") || n.startsWith("\\") || (n.length() > 1 && n.charAt(1) == ':')) {
            return "an absolute member path; it was not unpacked";
        }
        for (String part : n.replace('\\', '/').split("/")) {
            if (part.equals("..")) {
                return "the member's path climbs out of the repository (..); it was not unpacked";
            }
        }
        if (e instanceof TarArchiveEntry t) {
            if (t.isSymbolicLink() || t.isLink()) {
                return "a link in the archive (to " + t.getLinkName() + "); it was not followed";
            }
            if (!t.isFile()) {
                return "not a regular file; it was not unpacked";
            }
        }
        if (e instanceof ZipArchiveEntry z && z.isUnixSymlink()) {
            return "a symbolic link in the archive; it was not followed";
        }
        return null;
    }

    private static FileReport incomplete(String name, String why) {
        Finding f = new Finding(Rule.ANALYSIS_INCOMPLETE, Severity.SUSPICIOUS, why, Location.of(name), "");
        return new FileReport(name, List.of(), Severity.SUSPICIOUS, List.of(f), null, -1, null, -1, Duration.ZERO);
    }

    /** A report under the member's path, its findings' locations too. */
    private static FileReport rename(FileReport f, String name, String prefix) {
        List<Finding> fs = new ArrayList<>();
        for (Finding x : f.findings()) {
            Location l = x.location();
            String file = l.file().startsWith(prefix) ? l.file().substring(prefix.length()) : l.file();
            String message = x.message().replace(prefix, "");
            fs.add(new Finding(x.rule(), x.severity(), message, new Location(file, l.members(), l.pickleIndex(), l.offset(),
                    l.within()), x.evidence()));
        }
        return new FileReport(name, f.formats(), f.verdict(), fs, f.error() == null ? null : f.error().replace(prefix, ""),
                f.size(), f.sha256(), f.bytesRead(), f.elapsed());
    }
}

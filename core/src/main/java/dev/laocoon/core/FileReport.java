package dev.laocoon.core;

import dev.laocoon.core.finding.Finding;
import dev.laocoon.core.finding.Severity;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The result for one file: the formats its content was recognised as, the verdict (the highest
 * finding severity, {@code safe} when there are none) and the findings. A file that could not be
 * read has {@link #error()} set and a {@code file-unreadable} finding, so its verdict is never
 * {@code safe}. Immutable; equality covers the content of the report, not how long it took.
 */
public final class FileReport {
    private final String path;
    private final List<Format> formats;
    private final Severity verdict;
    private final List<Finding> findings;
    private final String error;
    private final long size;
    private final String sha256;
    private final long bytesRead;
    private final Duration elapsed;
    private final RemoteSource source;

    /**
     * @param sha256    hex SHA-256 of the whole content, or null when it was not computed
     * @param bytesRead bytes the analysis read from the source (re-reads counted again), -1 when unknown
     */
    public FileReport(String path, List<Format> formats, Severity verdict, List<Finding> findings, String error,
                      long size, String sha256, long bytesRead, Duration elapsed) {
        this(path, formats, verdict, findings, error, size, sha256, bytesRead, elapsed, null);
    }

    private FileReport(String path, List<Format> formats, Severity verdict, List<Finding> findings, String error,
                       long size, String sha256, long bytesRead, Duration elapsed, RemoteSource source) {
        this.source = source;
        this.path = Objects.requireNonNull(path, "path");
        this.formats = List.copyOf(formats);
        this.verdict = Objects.requireNonNull(verdict, "verdict");
        this.findings = List.copyOf(findings);
        this.error = error;
        this.size = size;
        this.sha256 = sha256;
        this.bytesRead = bytesRead;
        this.elapsed = elapsed == null ? Duration.ZERO : elapsed;
    }

    /** The path (or name) the file was scanned under. */
    public String path() {
        return path;
    }

    /** The formats found, outermost first (a wrapper before what it wraps); empty when none matched. */
    public List<Format> formats() {
        return formats;
    }

    /** The formats as reports show them: ids joined with {@code +}, or {@code unknown}. */
    public String formatLabel() {
        if (formats.isEmpty()) {
            return "unknown";
        }
        StringBuilder b = new StringBuilder();
        for (Format f : formats) {
            b.append(b.length() == 0 ? "" : "+").append(f.id());
        }
        return b.toString();
    }

    /** The highest severity among the findings; {@code safe} only when there are none. Never null. */
    public Severity verdict() {
        return verdict;
    }

    public List<Finding> findings() {
        return findings;
    }

    /** Why the file could not be read, or null. */
    public String error() {
        return error;
    }

    /** True when the file could not be read (then {@link #error()} says why). */
    public boolean failed() {
        return error != null;
    }

    /** Size in bytes, -1 when unknown. */
    public long size() {
        return size;
    }

    /** Hex SHA-256 of the content, or null when it was not computed (see {@link Scanner.Builder#contentHash}). */
    public String sha256() {
        return sha256;
    }

    /** Bytes the analysis read (a multi-gigabyte checkpoint is judged from a few kilobytes), -1 when unknown. */
    public long bytesRead() {
        return bytesRead;
    }

    /** How long the scan of this file took (not part of equality). */
    public Duration elapsed() {
        return elapsed;
    }

    /** Where a remote file came from (URL, revision, requests, bytes transferred); null for local files. */
    public RemoteSource source() {
        return source;
    }

    /** A copy under another path and with a remote source (and, when not null, the SHA-256 it claims). */
    public FileReport withSource(String path, RemoteSource source, String claimedSha256) {
        return new FileReport(path, formats, verdict, findings, error, size,
                sha256 == null && claimedSha256 != null ? claimedSha256 : sha256, bytesRead, elapsed, source);
    }

    /** {@code error} for a file that could not be read, else the verdict's label. */
    public String verdictLabel() {
        return error != null ? "error" : verdict.label();
    }

    /** A copy with other findings (and the verdict they give). */
    public FileReport withFindings(List<Finding> kept) {
        Severity v = Severity.SAFE;
        for (Finding f : kept) {
            v = Severity.max(v, f.severity());
        }
        return new FileReport(path, formats, v, kept, error, size, sha256, bytesRead, elapsed, source);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FileReport r && path.equals(r.path) && formats.equals(r.formats) && verdict == r.verdict
                && findings.equals(r.findings) && Objects.equals(error, r.error) && size == r.size
                && Objects.equals(sha256, r.sha256) && bytesRead == r.bytesRead;
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, formats, verdict, findings, error, size, sha256, bytesRead);
    }

    @Override
    public String toString() {
        return "FileReport[" + path + " " + formatLabel() + " " + verdictLabel() + " " + findings
                + (error == null ? "" : " error=" + error) + "]";
    }
}

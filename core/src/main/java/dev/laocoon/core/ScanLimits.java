package dev.laocoon.core;

import java.time.Duration;

/**
 * Every limit of a scan, per file. Hitting one is a finding (never a crash, never {@code safe}).
 * {@link #DEFAULT} holds the numbers the command line uses; change one with a {@code with...} call.
 *
 * @param maxDepth          containers nested deeper than this are not analysed
 * @param maxMembers        archive members analysed per file
 * @param maxInflatedBytes  bytes decompressed per file, all members together
 * @param maxMemberBytes    bytes one decompressed member or in-memory read may have
 * @param bombRatio         decompression ratio above which a member over 64 MiB counts as a bomb
 * @param maxJsonBytes      JSON documents read up to this size
 * @param maxFindingsPerRule findings of one rule listed per file; the rest are counted in one summary finding
 * @param maxTimePerFile    wall-clock time per file; then the analysis stops with a finding
 * @param maxSpoolBytes     bytes {@link Scanner#scan(java.io.InputStream, String)} accepts from a stream
 * @param maxPickleOpcodes  opcodes executed symbolically per pickle stream
 * @param maxPickleMemo     memo entries per pickle
 * @param maxPickleStack    stack depth per pickle
 * @param maxPickles        pickles per stream
 */
public record ScanLimits(int maxDepth, int maxMembers, long maxInflatedBytes, long maxMemberBytes, long bombRatio,
                         long maxJsonBytes, int maxFindingsPerRule, Duration maxTimePerFile, long maxSpoolBytes,
                         long maxPickleOpcodes, int maxPickleMemo, int maxPickleStack, int maxPickles) {

    public static final ScanLimits DEFAULT = new ScanLimits(8, 100_000, 4L << 30, 256L << 20, 1000,
            128L << 20, 1000, Duration.ofSeconds(60), 16L << 30,
            200_000_000L, 8_000_000, 2_000_000, 100_000);

    public ScanLimits {
        if (maxDepth < 0 || maxMembers < 0 || maxInflatedBytes < 0 || maxMemberBytes < 0 || bombRatio < 1
                || maxJsonBytes < 0 || maxFindingsPerRule < 1 || maxSpoolBytes < 0 || maxPickleOpcodes < 1
                || maxPickleMemo < 1 || maxPickleStack < 1 || maxPickles < 1) {
            throw new IllegalArgumentException("scan limits must be positive");
        }
        if (maxTimePerFile == null || maxTimePerFile.isNegative() || maxTimePerFile.isZero()) {
            throw new IllegalArgumentException("maxTimePerFile must be a positive duration");
        }
    }

    public ScanLimits withMaxDepth(int n) {
        return new ScanLimits(n, maxMembers, maxInflatedBytes, maxMemberBytes, bombRatio, maxJsonBytes,
                maxFindingsPerRule, maxTimePerFile, maxSpoolBytes, maxPickleOpcodes, maxPickleMemo, maxPickleStack, maxPickles);
    }

    public ScanLimits withMaxMembers(int n) {
        return new ScanLimits(maxDepth, n, maxInflatedBytes, maxMemberBytes, bombRatio, maxJsonBytes,
                maxFindingsPerRule, maxTimePerFile, maxSpoolBytes, maxPickleOpcodes, maxPickleMemo, maxPickleStack, maxPickles);
    }

    public ScanLimits withMaxInflatedBytes(long n) {
        return new ScanLimits(maxDepth, maxMembers, n, maxMemberBytes, bombRatio, maxJsonBytes,
                maxFindingsPerRule, maxTimePerFile, maxSpoolBytes, maxPickleOpcodes, maxPickleMemo, maxPickleStack, maxPickles);
    }

    public ScanLimits withMaxMemberBytes(long n) {
        return new ScanLimits(maxDepth, maxMembers, maxInflatedBytes, n, bombRatio, maxJsonBytes,
                maxFindingsPerRule, maxTimePerFile, maxSpoolBytes, maxPickleOpcodes, maxPickleMemo, maxPickleStack, maxPickles);
    }

    public ScanLimits withMaxFindingsPerRule(int n) {
        return new ScanLimits(maxDepth, maxMembers, maxInflatedBytes, maxMemberBytes, bombRatio, maxJsonBytes,
                n, maxTimePerFile, maxSpoolBytes, maxPickleOpcodes, maxPickleMemo, maxPickleStack, maxPickles);
    }

    public ScanLimits withMaxTimePerFile(Duration d) {
        return new ScanLimits(maxDepth, maxMembers, maxInflatedBytes, maxMemberBytes, bombRatio, maxJsonBytes,
                maxFindingsPerRule, d, maxSpoolBytes, maxPickleOpcodes, maxPickleMemo, maxPickleStack, maxPickles);
    }

    public ScanLimits withMaxSpoolBytes(long n) {
        return new ScanLimits(maxDepth, maxMembers, maxInflatedBytes, maxMemberBytes, bombRatio, maxJsonBytes,
                maxFindingsPerRule, maxTimePerFile, n, maxPickleOpcodes, maxPickleMemo, maxPickleStack, maxPickles);
    }

    public ScanLimits withMaxPickleOpcodes(long n) {
        return new ScanLimits(maxDepth, maxMembers, maxInflatedBytes, maxMemberBytes, bombRatio, maxJsonBytes,
                maxFindingsPerRule, maxTimePerFile, maxSpoolBytes, n, maxPickleMemo, maxPickleStack, maxPickles);
    }
}

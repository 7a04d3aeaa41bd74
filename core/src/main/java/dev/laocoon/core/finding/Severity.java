package dev.laocoon.core.finding;

import java.util.Locale;

/** Verdict and finding severity, ordered from harmless to hostile. */
public enum Severity {
    SAFE, NOTICE, SUSPICIOUS, MALICIOUS;

    private final String label = name().toLowerCase(Locale.ROOT);

    public String label() {
        return label;
    }

    public boolean atLeast(Severity other) {
        return compareTo(other) >= 0;
    }

    public static Severity max(Severity a, Severity b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Parses a lower- or upper-case label; throws IllegalArgumentException naming the valid labels. */
    public static Severity parse(String label) {
        switch (label.trim().toLowerCase(Locale.ROOT)) {
            case "safe":
                return SAFE;
            case "notice":
                return NOTICE;
            case "suspicious":
                return SUSPICIOUS;
            case "malicious":
                return MALICIOUS;
            default:
                break;
        }
        throw new IllegalArgumentException("unknown severity '" + label + "' (expected safe, notice, suspicious or malicious)");
    }
}

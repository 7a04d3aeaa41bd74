package dev.laocoon.core.finding;

import java.util.Locale;

/** Verdict and finding severity, ordered from harmless to hostile. */
public enum Severity {
    SAFE, NOTICE, SUSPICIOUS, MALICIOUS;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean atLeast(Severity other) {
        return compareTo(other) >= 0;
    }

    public static Severity max(Severity a, Severity b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Parses a lower- or upper-case label; throws IllegalArgumentException naming the valid labels. */
    public static Severity parse(String label) {
        for (Severity s : values()) {
            if (s.label().equalsIgnoreCase(label.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown severity '" + label + "' (expected safe, notice, suspicious or malicious)");
    }
}

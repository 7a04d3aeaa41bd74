package dev.laocoon.batch;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The build's facts (versions it was built with), from a resource Maven filters. */
final class BatchInfo {
    private static final Properties P = new Properties();

    static {
        try (InputStream in = BatchInfo.class.getResourceAsStream("batch.properties")) {
            if (in != null) {
                P.load(in);
            }
        } catch (IOException e) {
            // empty: the values then read as "unknown"
        }
    }

    private BatchInfo() {
    }

    static String get(String key) {
        return P.getProperty(key, "unknown");
    }
}

package dev.laocoon.core.internal.sign;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Sigstore keyless verification against a trusted root file (placeholder until implemented). */
public final class SigstoreCheck {
    private SigstoreCheck() {
    }

    public static final class Failure extends Exception {
        public Failure(String m) {
            super(m);
        }
    }

    public record Verified(String identity, List<String> notes) {
    }

    public static Verified verify(Path trustedRoot, String identity, String issuer, String bundleVersion,
            JsonNode vm, String payloadType, byte[] payload, byte[] sig, Path bundle) throws Failure, IOException {
        throw new Failure("sigstore verification is not available yet");
    }
}

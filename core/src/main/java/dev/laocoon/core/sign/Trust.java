package dev.laocoon.core.sign;

import java.nio.file.Path;
import java.util.List;

/** What a verifier trusts: a public key, CA certificates, or a Sigstore trusted root with an identity. */
public sealed interface Trust {
    /** The method name OMS gives this kind of trust. */
    String method();

    /** An EC public key (PEM). */
    record Key(Path publicKey) implements Trust {
        @Override
        public String method() {
            return "key";
        }
    }

    /** CA certificates (PEM files) the bundle's certificate chain must lead to. */
    record Certificates(List<Path> chain) implements Trust {
        public Certificates {
            chain = List.copyOf(chain);
        }

        @Override
        public String method() {
            return "certificate";
        }
    }

    /**
     * Sigstore keyless: a {@code trusted_root.json} (or a client trust config holding one), the
     * expected certificate identity (SAN: e-mail or URI) and OIDC issuer.
     */
    record Sigstore(Path trustedRoot, String identity, String issuer) implements Trust {
        @Override
        public String method() {
            return "sigstore";
        }
    }
}

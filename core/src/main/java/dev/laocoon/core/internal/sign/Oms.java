package dev.laocoon.core.internal.sign;

/** The OMS v1.0 and Sigstore constants. */
public final class Oms {
    public static final String BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
    public static final String PAYLOAD_TYPE = "application/vnd.in-toto+json";
    public static final String STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
    public static final String PREDICATE_TYPE = "https://model_signing/signature/v1.0";
    public static final String PREDICATE_TYPE_V01 = "https://model_signing/Digests/v0.1";

    private Oms() {
    }
}

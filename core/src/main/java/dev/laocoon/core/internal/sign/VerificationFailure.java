package dev.laocoon.core.internal.sign;

/** A verification that failed, with the reason shown to the user. */
public final class VerificationFailure extends Exception {
    public VerificationFailure(String message) {
        super(message);
    }
}

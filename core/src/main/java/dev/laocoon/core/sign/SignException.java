package dev.laocoon.core.sign;

/** Signing refused: a bad key or certificate, an empty model, a refused symbolic link... */
public final class SignException extends Exception {
    public SignException(String message) {
        super(message);
    }
}

package dev.laocoon.core.convert;

/** A conversion that cannot go on; the message says why, for the person running it. */
public class ConvertException extends Exception {
    public ConvertException(String message) {
        super(message);
    }

    public ConvertException(String message, Throwable cause) {
        super(message, cause);
    }
}

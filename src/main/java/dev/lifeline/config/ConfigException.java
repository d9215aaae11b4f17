package dev.lifeline.config;

import dev.lifeline.core.LifelineException;

/** A configuration file that cannot be used, with the file, line, column and field at fault. */
public final class ConfigException extends LifelineException {
    public ConfigException(String message, String hint) {
        super(message, hint);
    }
}

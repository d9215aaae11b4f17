package dev.lifeline.doctor;

/**
 * One finding of {@code lifeline doctor}: what was checked, how it stands and, unless it is OK,
 * what to do next.
 *
 * @param check a short stable name: config, daemon, pid, port, log, known-problem, open-files,
 *     user, memory, disk, gpu, outputs, endpoint
 * @param service the service it is about, or null for the machine
 */
public record Check(String check, Status status, String message, String service) {
    public enum Status {
        OK,
        WARN,
        FAIL
    }

    static Check ok(String check, String service, String message) {
        return new Check(check, Status.OK, message, service);
    }

    static Check warn(String check, String service, String message) {
        return new Check(check, Status.WARN, message, service);
    }

    static Check fail(String check, String service, String message) {
        return new Check(check, Status.FAIL, message, service);
    }
}

package dev.lifeline.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.tunnel.TunnelStatus;

/** Tunnel states across the control socket: {@link Protocol#tunnel}, under the name callers know. */
public final class TunnelCodec {
    private TunnelCodec() {}

    public static ObjectNode toJson(TunnelStatus s) {
        return Protocol.tunnel(s);
    }

    public static TunnelStatus fromJson(JsonNode n) {
        return Protocol.tunnel(n);
    }
}

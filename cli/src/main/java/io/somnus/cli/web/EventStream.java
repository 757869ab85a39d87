package io.somnus.cli.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-sent events on a response ({@code data: <json>} per event, each flushed at once). A client that goes away is
 * noticed, not thrown: {@link #send} returns false from then on, so the producer can stop.
 */
final class EventStream {
  private static final Logger log = LoggerFactory.getLogger(EventStream.class);

  private final ServletOutputStream out;
  private boolean open = true;

  EventStream(HttpServletResponse res) throws IOException {
    res.setStatus(200);
    res.setContentType("text/event-stream");
    res.setCharacterEncoding("utf-8");
    res.setHeader("Cache-Control", "no-cache");
    this.out = res.getOutputStream();
  }

  /** Sends one event; false when the client has gone away. */
  boolean send(JsonNode event) {
    try {
      return data(Json.MAPPER.writeValueAsString(event));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends {@code data: <text>} as it is (e.g. OpenAI's closing {@code [DONE]}). */
  boolean data(String text) {
    if (!open) return false;
    try {
      out.write(("data: " + text + "\n\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException gone) {
      log.info("the client closed the event stream: {}", gone.getMessage());
      open = false;
    }
    return open;
  }
}

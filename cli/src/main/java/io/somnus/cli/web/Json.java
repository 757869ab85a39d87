package io.somnus.cli.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.javalin.http.Context;

/** JSON in and out of the HTTP routes, with one mapper (records and {@code java.time} values as ISO text). */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private Json() {}

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** The request body as JSON; a body that is not JSON is a 400 that says where it broke. */
  static JsonNode read(Context ctx) {
    byte[] body = ctx.bodyAsBytes();
    if (body.length == 0) throw ApiError.invalid(null, "invalid_request_body", "The request body is empty: send a JSON object.");
    try {
      return MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
      throw ApiError.invalid(null, "invalid_request_body", "The request body is not valid JSON: " + e.getOriginalMessage() + where + ".");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static void send(Context ctx, int status, Object body) {
    try {
      ctx.status(status).contentType("application/json").result(MAPPER.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the response as JSON: " + e.getOriginalMessage(), e);
    }
  }
}

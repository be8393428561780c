package parley.comment;

import parley.http.Fields;
import parley.markdown.Markdown;

/** A validated comment body (and, when creating, the comment it replies to). */
record CommentInput(String body, Markdown.Rendered rendered, Long parentId) {

  static final int MAX_BODY = 10_000;

  static CommentInput forCreate(Fields fields) {
    String body = fields.text("body", 1, MAX_BODY, false);
    Long parentId = fields.optionalId("parentId");
    fields.check();
    return new CommentInput(body, Markdown.render(body), parentId);
  }

  static CommentInput forEdit(Fields fields) {
    String body = fields.text("body", 1, MAX_BODY, false);
    fields.check();
    return new CommentInput(body, Markdown.render(body), null);
  }
}

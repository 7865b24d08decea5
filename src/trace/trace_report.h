/* trace_report.h - `trace`'s summary renderers (text and JSON). */
#ifndef CONNDOCTOR_TRACE_TRACE_REPORT_H
#define CONNDOCTOR_TRACE_TRACE_REPORT_H

#include <stdio.h>

struct json;
struct trace_result;

void trace_report_text(FILE *out, const struct trace_result *r);
void trace_report_json(FILE *out, const struct trace_result *r);
/* The same object, inside a document being written (diagnose --trace). */
void trace_report_json_obj(struct json *j, const struct trace_result *r);

#endif /* CONNDOCTOR_TRACE_TRACE_REPORT_H */

/*
 * vectors_test.c - runs protocol.h against test/fixtures/protocol-vectors.json, driven by
 * test/workers/c.test.ts. Reads one command per line on stdin and prints one answer line
 * ("-" stands for empty hex):
 *
 *   decode <maxFrameSize> <hex>          ->  <type>:<sequence>:<payloadhex> ... ok|error:<CODE>
 *   encode <type> <sequence> <hex>       ->  <frame hex>
 *   worker-error <code> <messagehex>     ->  <payload hex>
 *   status-response <count>              ->  <payload hex>
 *   decode-worker-error <hex>            ->  <code>:<messagehex> | error:<CODE>
 *   decode-status-response <hex>         ->  <count> | error:<CODE>
 *
 * `decode` writes the bytes to a temporary file and reads them back through ps_read_frame on
 * its fd, so the same read path as a worker's stdin is exercised.
 */
#define _POSIX_C_SOURCE 200809L

#include "protocol.h"

static int hex_value(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes `hex` ("-" for empty) into `out`; returns 0, or -1 on a malformed string. */
static int from_hex(const char *hex, ps_buffer *out)
{
    out->length = 0;
    if (strcmp(hex, "-") == 0) return 0;
    size_t length = strlen(hex);
    if (length % 2 != 0 || ps_buffer_reserve(out, length / 2) != PS_OK) return -1;
    for (size_t i = 0; i < length; i += 2) {
        int high = hex_value(hex[i]), low = hex_value(hex[i + 1]);
        if (high < 0 || low < 0) return -1;
        out->data[out->length++] = (unsigned char)(high * 16 + low);
    }
    return 0;
}

static void print_hex(const unsigned char *bytes, size_t length)
{
    if (length == 0) fputc('-', stdout);
    for (size_t i = 0; i < length; i++) printf("%02x", bytes[i]);
}

static int decode_stream(uint32_t max_frame_size, const ps_buffer *bytes)
{
    FILE *file = tmpfile();
    if (file == NULL) return -1;
    if (bytes->length > 0 && fwrite(bytes->data, 1, bytes->length, file) != bytes->length) return -1;
    if (fflush(file) != 0) return -1;
    rewind(file);
    ps_frame frame;
    memset(&frame, 0, sizeof frame);
    int status;
    while ((status = ps_read_frame(fileno(file), &frame, max_frame_size)) == PS_OK) {
        printf("%u:%u:", (unsigned)frame.type, (unsigned)frame.sequence);
        print_hex(frame.payload.data, frame.payload.length);
        fputc(' ', stdout);
    }
    if (status == PS_EOF) printf("ok");
    else printf("error:%s", ps_status_code(status));
    ps_frame_free(&frame);
    fclose(file);
    return 0;
}

static int encode_frame(unsigned long type, unsigned long sequence, const ps_buffer *payload)
{
    ps_buffer frame = { NULL, 0, 0 };
    unsigned char header[PS_HEADER_SIZE];
    if (ps_encode_header(header, (uint16_t)type, (uint16_t)sequence, payload->length) != PS_OK) return -1;
    if (ps_buffer_append(&frame, header, sizeof header) != PS_OK) return -1;
    if (ps_buffer_append(&frame, payload->data, payload->length) != PS_OK) return -1;
    print_hex(frame.data, frame.length);
    ps_buffer_free(&frame);
    return 0;
}

static int run_command(char *line, ps_buffer *scratch, ps_buffer *payload)
{
    char *command = strtok(line, " \n");
    char *first = strtok(NULL, " \n");
    char *second = strtok(NULL, " \n");
    char *third = strtok(NULL, " \n");
    if (command == NULL || first == NULL) return -1;
    if (strcmp(command, "decode") == 0 && second && from_hex(second, scratch) == 0) {
        return decode_stream((uint32_t)strtoul(first, NULL, 10), scratch);
    }
    if (strcmp(command, "encode") == 0 && third && from_hex(third, scratch) == 0) {
        return encode_frame(strtoul(first, NULL, 10), strtoul(second, NULL, 10), scratch);
    }
    if (strcmp(command, "worker-error") == 0 && second && from_hex(second, scratch) == 0) {
        if (ps_encode_worker_error(payload, (uint32_t)strtoul(first, NULL, 10), scratch->data, scratch->length) != PS_OK) return -1;
        print_hex(payload->data, payload->length);
        return 0;
    }
    if (strcmp(command, "status-response") == 0) {
        unsigned char bytes[4];
        ps_encode_status_response(bytes, (uint32_t)strtoul(first, NULL, 10));
        print_hex(bytes, sizeof bytes);
        return 0;
    }
    if (strcmp(command, "decode-worker-error") == 0 && from_hex(first, scratch) == 0) {
        uint32_t code;
        const unsigned char *message;
        size_t message_length;
        int status = ps_decode_worker_error(scratch->data, scratch->length, &code, &message, &message_length);
        if (status != PS_OK) printf("error:%s", ps_status_code(status));
        else {
            printf("%lu:", (unsigned long)code);
            print_hex(message, message_length);
        }
        return 0;
    }
    if (strcmp(command, "decode-status-response") == 0 && from_hex(first, scratch) == 0) {
        uint32_t count;
        int status = ps_decode_status_response(scratch->data, scratch->length, &count);
        if (status != PS_OK) printf("error:%s", ps_status_code(status));
        else printf("%lu", (unsigned long)count);
        return 0;
    }
    return -1;
}

int main(void)
{
    char *line = NULL;
    size_t capacity = 0;
    ps_buffer scratch = { NULL, 0, 0 }, payload = { NULL, 0, 0 };
    int exit_status = 0;
    while (getline(&line, &capacity, stdin) > 0) {
        if (run_command(line, &scratch, &payload) != 0) {
            printf("bad-command");
            exit_status = 2;
        }
        fputc('\n', stdout);
    }
    free(line);
    ps_buffer_free(&scratch);
    ps_buffer_free(&payload);
    return exit_status;
}

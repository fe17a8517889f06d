/*
 * echo_worker.c - an example worker for the process-spawner protocol (see protocol.h and
 * docs/protocol.md). It answers each task with its payload, except for these commands, which the
 * test suites use to exercise a parent:
 *
 *   error:<text>   answers WORKER_ERROR with code 42 and <text> as the message
 *   crash          abort()s (dies of SIGABRT)
 *   sleep:<ms>     sleeps <ms> milliseconds, then echoes the payload
 *   big:<n>        answers <n> bytes, byte i being i % 251
 *   print:<text>   printf()s <text> to stdout (which ps_serve routes to stderr), then echoes
 *
 * Build: cc -O2 -Wall -Wextra -Werror -o echo_worker echo_worker.c
 */
#define _POSIX_C_SOURCE 200809L

#include "protocol.h"

#include <time.h>

#define ERROR_COMMAND_CODE 42u

static int starts_with(const unsigned char *task, size_t length, const char *prefix)
{
    size_t prefix_length = strlen(prefix);
    return length >= prefix_length && memcmp(task, prefix, prefix_length) == 0;
}

/* Parses the decimal number after a prefix; stops at the first non-digit. */
static unsigned long parse_number(const unsigned char *digits, size_t length)
{
    unsigned long value = 0;
    for (size_t i = 0; i < length && digits[i] >= '0' && digits[i] <= '9'; i++) {
        value = value * 10 + (unsigned long)(digits[i] - '0');
    }
    return value;
}

static void sleep_ms(unsigned long milliseconds)
{
    struct timespec remaining;
    remaining.tv_sec = (time_t)(milliseconds / 1000);
    remaining.tv_nsec = (long)(milliseconds % 1000) * 1000000L;
    while (nanosleep(&remaining, &remaining) < 0 && errno == EINTR) {
    }
}

static uint32_t answer_big(size_t length, ps_buffer *reply)
{
    if (ps_buffer_reserve(reply, length) != PS_OK) {
        ps_buffer_append_string(reply, "out of memory");
        return PS_HANDLER_ERROR_CODE;
    }
    for (size_t i = 0; i < length; i++) reply->data[i] = (unsigned char)(i % 251);
    reply->length = length;
    return 0;
}

static uint32_t handle_task(const unsigned char *task, size_t length, ps_buffer *reply, void *context)
{
    (void)context;
    if (starts_with(task, length, "error:")) {
        ps_buffer_append(reply, task + 6, length - 6);
        return ERROR_COMMAND_CODE;
    }
    if (length == 5 && starts_with(task, length, "crash")) abort();
    if (starts_with(task, length, "sleep:")) sleep_ms(parse_number(task + 6, length - 6));
    if (starts_with(task, length, "big:")) return answer_big(parse_number(task + 4, length - 4), reply);
    if (starts_with(task, length, "print:")) {
        printf("%.*s\n", (int)(length - 6), (const char *)task + 6);
        fflush(stdout);
    }
    if (ps_buffer_append(reply, task, length) != PS_OK) {
        reply->length = 0;
        ps_buffer_append_string(reply, "out of memory");
        return PS_HANDLER_ERROR_CODE;
    }
    return 0;
}

int main(void)
{
    return ps_serve(handle_task, NULL);
}

/*
 * protocol.h - the process-spawner framing protocol for workers written in C.
 *
 * Single header, C99 plus POSIX (read, write, poll, dup2, fcntl), no other dependency.
 * Compile with _POSIX_C_SOURCE >= 200809L (for F_DUPFD_CLOEXEC). Every function is
 * `static inline`, so include it from as many files as you like; nothing to link.
 * The specification is docs/protocol.md. In short, a frame is an 8-byte big-endian header,
 *
 *     u32 length (header + payload, >= 8) | u16 type | u16 sequence
 *
 * followed by length - 8 payload bytes. A worker reads frames on fd 0 and writes frames on fd 1;
 * fd 2 is free for logs.
 *
 * Two levels of API:
 *   - ps_serve(handler, context): the whole worker loop (WORKER_READY, tasks, WORKER_ERROR,
 *     STATUS_QUERY, SHUTDOWN_REQUEST/ACK, exit on EOF) with the same behaviour as the Node and
 *     Python runtimes. It moves the frame channel off fd 1 and points fd 1 at stderr, so a stray
 *     printf() lands in the log rather than in the middle of a frame.
 *   - ps_read_frame / ps_write_frame and the big-endian helpers, to build something else.
 *   - ps_read_frame_with_fds: ps_read_frame that also takes the file descriptors a parent
 *     attached to the frame (SCM_RIGHTS, on a 'socket' stdio slot: process-spawner's sendFds()).
 *
 * Error handling: functions return 0 or a negative PS_ERR_* value; PS_ERR_IO leaves errno set.
 * EINTR is retried everywhere; EAGAIN on a non-blocking fd waits with poll().
 */
#ifndef PROCESS_SPAWNER_PROTOCOL_H
#define PROCESS_SPAWNER_PROTOCOL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PS_HEADER_SIZE 8u
#define PS_DEFAULT_MAX_FRAME_SIZE (64u * 1024u * 1024u)
#define PS_FIRST_RESERVED_TYPE 1000u

enum ps_message_type {
    PS_TASK_ASSIGNMENT = 1,
    PS_TASK_RESULT = 2,
    PS_WORKER_READY = 3,
    PS_WORKER_ERROR = 4,
    PS_SHUTDOWN_REQUEST = 5,
    PS_SHUTDOWN_ACK = 6,
    PS_STATUS_QUERY = 7,
    PS_STATUS_RESPONSE = 8
};

/* Return values. The names match the FrameError codes of the Node runtime. */
enum ps_status {
    PS_OK = 0,
    PS_EOF = 1,                    /* clean end of input, at a frame boundary */
    PS_ERR_IO = -1,                /* read/write failed: see errno */
    PS_ERR_FRAME_TOO_SHORT = -2,   /* ERR_FRAME_TOO_SHORT: length < 8 */
    PS_ERR_FRAME_TOO_LARGE = -3,   /* ERR_FRAME_TOO_LARGE: length > max_frame_size */
    PS_ERR_FRAME_TRUNCATED = -4,   /* ERR_FRAME_TRUNCATED: end of input inside a frame */
    PS_ERR_PAYLOAD_INVALID = -5,   /* ERR_FRAME_PAYLOAD_INVALID: payload layout wrong for its type */
    PS_ERR_NO_MEMORY = -6
};

/* Exit statuses shared by the three runtimes (from sysexits.h). */
#define PS_EXIT_PROTOCOL_ERROR 65 /* EX_DATAERR: the parent sent a malformed frame */
#define PS_EXIT_IO_ERROR 74       /* EX_IOERR: the frame channel failed */

/* The code a worker sends in WORKER_ERROR when a handler fails without a code of its own. */
#define PS_HANDLER_ERROR_CODE 1u

static inline const char *ps_status_code(int status)
{
    switch (status) {
    case PS_OK: return "OK";
    case PS_EOF: return "EOF";
    case PS_ERR_IO: return "ERR_IO";
    case PS_ERR_FRAME_TOO_SHORT: return "ERR_FRAME_TOO_SHORT";
    case PS_ERR_FRAME_TOO_LARGE: return "ERR_FRAME_TOO_LARGE";
    case PS_ERR_FRAME_TRUNCATED: return "ERR_FRAME_TRUNCATED";
    case PS_ERR_PAYLOAD_INVALID: return "ERR_FRAME_PAYLOAD_INVALID";
    case PS_ERR_NO_MEMORY: return "ERR_NO_MEMORY";
    default: return "ERR_UNKNOWN";
    }
}

/* ---- big-endian helpers ---------------------------------------------------------------- */

static inline uint32_t ps_get_u32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint16_t ps_get_u16(const unsigned char *p)
{
    return (uint16_t)(((unsigned)p[0] << 8) | (unsigned)p[1]);
}

static inline void ps_put_u32(unsigned char *p, uint32_t value)
{
    p[0] = (unsigned char)(value >> 24);
    p[1] = (unsigned char)(value >> 16);
    p[2] = (unsigned char)(value >> 8);
    p[3] = (unsigned char)value;
}

static inline void ps_put_u16(unsigned char *p, uint16_t value)
{
    p[0] = (unsigned char)(value >> 8);
    p[1] = (unsigned char)value;
}

/* ---- growable byte buffer -------------------------------------------------------------- */

typedef struct ps_buffer {
    unsigned char *data;
    size_t length;
    size_t capacity;
} ps_buffer;

static inline int ps_buffer_reserve(ps_buffer *buffer, size_t capacity)
{
    if (capacity <= buffer->capacity) return PS_OK;
    size_t grown = buffer->capacity < 64 ? 64 : buffer->capacity;
    while (grown < capacity) grown = grown > SIZE_MAX / 2 ? capacity : grown * 2;
    unsigned char *data = (unsigned char *)realloc(buffer->data, grown);
    if (data == NULL) return PS_ERR_NO_MEMORY;
    buffer->data = data;
    buffer->capacity = grown;
    return PS_OK;
}

static inline int ps_buffer_append(ps_buffer *buffer, const void *bytes, size_t length)
{
    if (length == 0) return PS_OK;
    int status = ps_buffer_reserve(buffer, buffer->length + length);
    if (status != PS_OK) return status;
    memcpy(buffer->data + buffer->length, bytes, length);
    buffer->length += length;
    return PS_OK;
}

static inline int ps_buffer_append_string(ps_buffer *buffer, const char *text)
{
    return ps_buffer_append(buffer, text, strlen(text));
}

static inline void ps_buffer_free(ps_buffer *buffer)
{
    free(buffer->data);
    buffer->data = NULL;
    buffer->length = buffer->capacity = 0;
}

/* ---- whole reads and writes on fds ----------------------------------------------------- */

/* Waits until `fd` is ready for `events`; used when a non-blocking fd reports EAGAIN. */
static inline int ps_wait_fd(int fd, short events)
{
    struct pollfd entry;
    entry.fd = fd;
    entry.events = events;
    entry.revents = 0;
    while (poll(&entry, 1, -1) < 0) {
        if (errno != EINTR) return PS_ERR_IO;
    }
    return PS_OK;
}

/* The most fds a frame carries (process-spawner's sendFds() sends at most this many). */
#define PS_MAX_PASSED_FDS 16u

/* Keeps the fds that came with one recvmsg, up to max_fds in total; the rest are closed. */
static inline void ps_take_fds(struct msghdr *message, int *fds, size_t max_fds, size_t *fd_count)
{
    struct cmsghdr *header;
    for (header = CMSG_FIRSTHDR(message); header != NULL; header = CMSG_NXTHDR(message, header)) {
        size_t count, i;
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (i = 0; i < count; i++) {
            int received;
            memcpy(&received, CMSG_DATA(header) + i * sizeof(int), sizeof received);
            /* close-on-exec, so that a program this worker starts does not inherit it */
            fcntl(received, F_SETFD, FD_CLOEXEC);
            if (*fd_count < max_fds) fds[(*fd_count)++] = received;
            else close(received);
        }
    }
}

/* One recvmsg into target, keeping the fds that come with the bytes (ps_take_fds). */
static inline ssize_t ps_recv_with_fds(int fd, void *target, size_t length, int *fds, size_t max_fds, size_t *fd_count)
{
    union {
        char bytes[CMSG_SPACE(sizeof(int) * PS_MAX_PASSED_FDS)];
        struct cmsghdr align;
    } control;
    struct iovec iov;
    struct msghdr message;
    ssize_t count;
    iov.iov_base = target;
    iov.iov_len = length;
    memset(&message, 0, sizeof message);
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control.bytes;
    message.msg_controllen = sizeof control.bytes;
    count = recvmsg(fd, &message, 0);
    if (count > 0) ps_take_fds(&message, fds, max_fds, fd_count);
    return count;
}

/* Reads exactly `length` bytes unless the input ends first; `*received` says how many arrived.
   With `fds`, the reads are recvmsg and the fds that come with the bytes are added there (up to
   max_fds, counted in *fd_count); a channel that is not a socket (a pipe: ENOTSOCK) is read
   with read() and carries none. */
static inline int ps_read_full_fds(int fd, void *target, size_t length, size_t *received, int *fds, size_t max_fds, size_t *fd_count)
{
    unsigned char *cursor = (unsigned char *)target;
    int with_fds = fds != NULL;
    *received = 0;
    while (*received < length) {
        ssize_t count = with_fds ? ps_recv_with_fds(fd, cursor + *received, length - *received, fds, max_fds, fd_count)
                                 : read(fd, cursor + *received, length - *received);
        if (count > 0) {
            *received += (size_t)count;
        } else if (count == 0) {
            return PS_EOF;
        } else if (with_fds && errno == ENOTSOCK) {
            with_fds = 0;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (ps_wait_fd(fd, POLLIN) != PS_OK) return PS_ERR_IO;
        } else if (errno != EINTR) {
            return PS_ERR_IO;
        }
    }
    return PS_OK;
}

static inline int ps_read_full(int fd, void *target, size_t length, size_t *received)
{
    return ps_read_full_fds(fd, target, length, received, NULL, 0, NULL);
}

static inline int ps_write_full(int fd, const void *source, size_t length)
{
    const unsigned char *cursor = (const unsigned char *)source;
    size_t written = 0;
    while (written < length) {
        ssize_t count = write(fd, cursor + written, length - written);
        if (count >= 0) {
            written += (size_t)count;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (ps_wait_fd(fd, POLLOUT) != PS_OK) return PS_ERR_IO;
        } else if (errno != EINTR) {
            return PS_ERR_IO;
        }
    }
    return PS_OK;
}

/* ---- frames ---------------------------------------------------------------------------- */

typedef struct ps_frame {
    uint16_t type;
    uint16_t sequence;
    /* payload.data holds payload.length bytes. The buffer is reused by the next
       ps_read_frame on the same frame, so copy what you need to keep; ps_frame_free at the end. */
    ps_buffer payload;
} ps_frame;

static inline void ps_frame_free(ps_frame *frame)
{
    ps_buffer_free(&frame->payload);
}

/* Checks a header's length field; nothing may be allocated from a length before this. */
static inline int ps_check_length(uint32_t length, uint32_t max_frame_size)
{
    if (length < PS_HEADER_SIZE) return PS_ERR_FRAME_TOO_SHORT;
    if (length > max_frame_size) return PS_ERR_FRAME_TOO_LARGE;
    return PS_OK;
}

/*
 * Reads one frame from `fd` into `frame`. Returns PS_OK, PS_EOF when the input ends cleanly
 * between frames, or an error: PS_ERR_FRAME_TOO_SHORT / _TOO_LARGE (checked before any
 * allocation), PS_ERR_FRAME_TRUNCATED (the input ended inside a frame), PS_ERR_IO, PS_ERR_NO_MEMORY.
 * Frames of every type are returned; skipping unknown types is the caller's decision.
 */
static inline int ps_read_frame(int fd, ps_frame *frame, uint32_t max_frame_size)
{
    unsigned char header[PS_HEADER_SIZE];
    size_t received = 0;
    int status = ps_read_full(fd, header, sizeof header, &received);
    if (status == PS_EOF) return received == 0 ? PS_EOF : PS_ERR_FRAME_TRUNCATED;
    if (status != PS_OK) return status;

    uint32_t length = ps_get_u32(header);
    status = ps_check_length(length, max_frame_size);
    if (status != PS_OK) return status;
    frame->type = ps_get_u16(header + 4);
    frame->sequence = ps_get_u16(header + 6);

    size_t payload_length = (size_t)length - PS_HEADER_SIZE;
    frame->payload.length = 0;
    status = ps_buffer_reserve(&frame->payload, payload_length);
    if (status != PS_OK) return status;
    status = ps_read_full(fd, frame->payload.data, payload_length, &received);
    if (status == PS_EOF) return PS_ERR_FRAME_TRUNCATED;
    if (status != PS_OK) return status;
    frame->payload.length = payload_length;
    return PS_OK;
}

/* ---- file descriptors passed with a frame (docs/protocol.md, section 10) ------------------ */

/*
 * ps_read_frame, and the fds the sender attached to this frame: they come with the header's
 * bytes (the sender attaches them to the frame's first byte, and these reads never go past the
 * frame). Up to max_fds are stored in fds, their count in *fd_count; more are closed. The caller
 * owns them, close-on-exec, and must close each. On an error the fds received are closed and
 * *fd_count is 0.
 */
static inline int ps_read_frame_with_fds(int fd, ps_frame *frame, uint32_t max_frame_size, int *fds, size_t max_fds, size_t *fd_count)
{
    unsigned char header[PS_HEADER_SIZE];
    size_t received = 0, i;
    int status;
    *fd_count = 0;
    status = ps_read_full_fds(fd, header, sizeof header, &received, fds, max_fds, fd_count);
    if (status == PS_EOF) status = received == 0 ? PS_EOF : PS_ERR_FRAME_TRUNCATED;
    if (status == PS_OK) {
        uint32_t length = ps_get_u32(header);
        status = ps_check_length(length, max_frame_size);
        if (status == PS_OK) {
            size_t payload_length = (size_t)length - PS_HEADER_SIZE;
            frame->type = ps_get_u16(header + 4);
            frame->sequence = ps_get_u16(header + 6);
            frame->payload.length = 0;
            status = ps_buffer_reserve(&frame->payload, payload_length);
            if (status == PS_OK) status = ps_read_full(fd, frame->payload.data, payload_length, &received);
            if (status == PS_EOF) status = PS_ERR_FRAME_TRUNCATED;
            if (status == PS_OK) frame->payload.length = payload_length;
        }
    }
    if (status != PS_OK) {
        for (i = 0; i < *fd_count; i++) close(fds[i]);
        *fd_count = 0;
    }
    return status;
}

static inline int ps_encode_header(unsigned char header[PS_HEADER_SIZE], uint16_t type, uint16_t sequence, size_t payload_length)
{
    if (payload_length > UINT32_MAX - PS_HEADER_SIZE) return PS_ERR_FRAME_TOO_LARGE;
    ps_put_u32(header, (uint32_t)(payload_length + PS_HEADER_SIZE));
    ps_put_u16(header + 4, type);
    ps_put_u16(header + 6, sequence);
    return PS_OK;
}

/* Writes one frame: header, then the payload, without copying the payload. */
static inline int ps_write_frame(int fd, uint16_t type, uint16_t sequence, const void *payload, size_t payload_length)
{
    unsigned char header[PS_HEADER_SIZE];
    int status = ps_encode_header(header, type, sequence, payload_length);
    if (status != PS_OK) return status;
    status = ps_write_full(fd, header, sizeof header);
    if (status != PS_OK) return status;
    return ps_write_full(fd, payload, payload_length);
}

/* ---- structured payloads --------------------------------------------------------------- */

/* WORKER_ERROR payload: u32 code, then the UTF-8 message. */
static inline int ps_encode_worker_error(ps_buffer *payload, uint32_t code, const void *message, size_t message_length)
{
    unsigned char prefix[4];
    ps_put_u32(prefix, code);
    payload->length = 0;
    int status = ps_buffer_append(payload, prefix, sizeof prefix);
    if (status != PS_OK) return status;
    return ps_buffer_append(payload, message, message_length);
}

static inline int ps_decode_worker_error(const unsigned char *payload, size_t length, uint32_t *code, const unsigned char **message, size_t *message_length)
{
    if (length < 4) return PS_ERR_PAYLOAD_INVALID;
    *code = ps_get_u32(payload);
    *message = payload + 4;
    *message_length = length - 4;
    return PS_OK;
}

/* STATUS_RESPONSE payload: exactly one u32, the number of tasks completed so far. */
static inline void ps_encode_status_response(unsigned char payload[4], uint32_t tasks_completed)
{
    ps_put_u32(payload, tasks_completed);
}

static inline int ps_decode_status_response(const unsigned char *payload, size_t length, uint32_t *tasks_completed)
{
    if (length != 4) return PS_ERR_PAYLOAD_INVALID;
    *tasks_completed = ps_get_u32(payload);
    return PS_OK;
}

/* ---- the worker loop ------------------------------------------------------------------- */

/*
 * A task handler. `task` holds the TASK_ASSIGNMENT payload (task_length bytes) and `reply` is
 * empty on entry. To succeed, append the result bytes to `reply` and return 0: the worker sends
 * TASK_RESULT. To fail, put a UTF-8 message in `reply` and return a nonzero error code: the
 * worker sends WORKER_ERROR with that code. `context` is what was passed to ps_serve.
 */
typedef uint32_t (*ps_handler)(const unsigned char *task, size_t task_length, ps_buffer *reply, void *context);

typedef struct ps_worker {
    int input_fd;
    int output_fd;
    uint32_t max_frame_size;
    uint32_t tasks_completed;
    ps_frame frame;
    ps_buffer reply;
    ps_buffer error_payload;
} ps_worker;

static inline void ps_log(const char *what, const char *detail)
{
    fprintf(stderr, "process-spawner worker: %s%s\n", what, detail);
}

/*
 * Keeps the frame channel on a private copy of fd 1 and points fd 1 at stderr, so output that
 * other code writes to stdout (printf, puts, a library's debug print) cannot corrupt a frame.
 */
static inline int ps_take_stdout_for_frames(void)
{
    fflush(stdout);
    /* Close-on-exec, so a process this worker starts does not hold the parent's pipe open. */
    int channel = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (channel < 0) return -1;
    if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        close(channel);
        return -1;
    }
    return channel;
}

static inline int ps_answer_task(ps_worker *worker, ps_handler handler, void *context)
{
    worker->reply.length = 0;
    uint32_t code = handler(worker->frame.payload.data, worker->frame.payload.length, &worker->reply, context);
    worker->tasks_completed++;
    if (code == 0) {
        return ps_write_frame(worker->output_fd, PS_TASK_RESULT, worker->frame.sequence, worker->reply.data, worker->reply.length);
    }
    int status = ps_encode_worker_error(&worker->error_payload, code, worker->reply.data, worker->reply.length);
    if (status != PS_OK) return status;
    return ps_write_frame(worker->output_fd, PS_WORKER_ERROR, worker->frame.sequence, worker->error_payload.data, worker->error_payload.length);
}

static inline int ps_answer_status_query(ps_worker *worker)
{
    unsigned char payload[4];
    ps_encode_status_response(payload, worker->tasks_completed);
    return ps_write_frame(worker->output_fd, PS_STATUS_RESPONSE, worker->frame.sequence, payload, sizeof payload);
}

static inline void ps_report_skipped(const ps_frame *frame)
{
    char detail[64];
    snprintf(detail, sizeof detail, "%u (sequence %u)", (unsigned)frame->type, (unsigned)frame->sequence);
    ps_log(frame->type >= PS_FIRST_RESERVED_TYPE ? "skipped a frame of reserved type " : "skipped a frame of unexpected type ", detail);
}

/* Returns the process exit status once the loop is over. */
static inline int ps_worker_loop(ps_worker *worker, ps_handler handler, void *context)
{
    if (ps_write_frame(worker->output_fd, PS_WORKER_READY, 0, NULL, 0) != PS_OK) return PS_EXIT_IO_ERROR;
    for (;;) {
        int status = ps_read_frame(worker->input_fd, &worker->frame, worker->max_frame_size);
        if (status == PS_EOF) return 0;
        if (status == PS_ERR_IO) return PS_EXIT_IO_ERROR;
        if (status != PS_OK) {
            ps_log("protocol error from the parent: ", ps_status_code(status));
            return PS_EXIT_PROTOCOL_ERROR;
        }
        switch (worker->frame.type) {
        case PS_TASK_ASSIGNMENT: status = ps_answer_task(worker, handler, context); break;
        case PS_STATUS_QUERY: status = ps_answer_status_query(worker); break;
        case PS_SHUTDOWN_REQUEST:
            return ps_write_frame(worker->output_fd, PS_SHUTDOWN_ACK, 0, NULL, 0) == PS_OK ? 0 : PS_EXIT_IO_ERROR;
        default: ps_report_skipped(&worker->frame); break;
        }
        if (status != PS_OK) return PS_EXIT_IO_ERROR;
    }
}

/*
 * Serves tasks on fds 0 and 1 until SHUTDOWN_REQUEST (answered with SHUTDOWN_ACK) or the end of
 * stdin, then returns the status to exit with: 0, PS_EXIT_PROTOCOL_ERROR or PS_EXIT_IO_ERROR.
 * Frames are handled strictly in order, one at a time: a STATUS_QUERY sent during a task is
 * answered after the task. Typical use: `int main(void) { return ps_serve(handler, NULL); }`.
 */
static inline int ps_serve(ps_handler handler, void *context)
{
    ps_worker worker;
    memset(&worker, 0, sizeof worker);
    worker.input_fd = STDIN_FILENO;
    worker.max_frame_size = PS_DEFAULT_MAX_FRAME_SIZE;
    worker.output_fd = ps_take_stdout_for_frames();
    if (worker.output_fd < 0) return PS_EXIT_IO_ERROR;
    int exit_status = ps_worker_loop(&worker, handler, context);
    ps_frame_free(&worker.frame);
    ps_buffer_free(&worker.reply);
    ps_buffer_free(&worker.error_payload);
    close(worker.output_fd);
    return exit_status;
}

#endif /* PROCESS_SPAWNER_PROTOCOL_H */

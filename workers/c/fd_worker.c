/*
 * fd_worker.c - a worker that receives file descriptors with its tasks (docs/protocol.md,
 * section 10). Its stdin is a 'socket' stdio slot; for each TASK_ASSIGNMENT it writes the task's
 * payload to the fd that came with it, closes the fd, and answers "wrote N bytes" (or a
 * WORKER_ERROR when no fd came). SHUTDOWN_REQUEST or the end of stdin ends it.
 */
#define _POSIX_C_SOURCE 200809L

#include "protocol.h"

int main(void)
{
    ps_frame frame = {0, 0, {NULL, 0, 0}};
    int fds[PS_MAX_PASSED_FDS];
    size_t fd_count = 0, i;
    int status;
    ps_write_frame(1, PS_WORKER_READY, 0, NULL, 0);
    while ((status = ps_read_frame_with_fds(0, &frame, PS_DEFAULT_MAX_FRAME_SIZE, fds, PS_MAX_PASSED_FDS, &fd_count)) == PS_OK) {
        if (frame.type == PS_SHUTDOWN_REQUEST) {
            for (i = 0; i < fd_count; i++) close(fds[i]);
            ps_write_frame(1, PS_SHUTDOWN_ACK, 0, NULL, 0);
            break;
        }
        if (frame.type == PS_TASK_ASSIGNMENT && fd_count > 0) {
            char answer[64];
            int written = ps_write_full(fds[0], frame.payload.data, frame.payload.length) == PS_OK ? (int)frame.payload.length : -1;
            int length = snprintf(answer, sizeof answer, "wrote %d bytes to the fd received", written);
            ps_write_frame(1, PS_TASK_RESULT, frame.sequence, answer, (size_t)length);
        } else if (frame.type == PS_TASK_ASSIGNMENT) {
            const char message[] = "\0\0\0\1no fd came with the task";
            ps_write_frame(1, PS_WORKER_ERROR, frame.sequence, message, sizeof message - 1);
        }
        for (i = 0; i < fd_count; i++) close(fds[i]);
    }
    ps_frame_free(&frame);
    return status == PS_OK || status == PS_EOF ? 0 : PS_EXIT_PROTOCOL_ERROR;
}

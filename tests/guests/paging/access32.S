/*
 * uint32_t paging32_access(struct paging32_req *req), run through guest_call_pm32() in 32-bit
 * protected mode with paging off: turns paging on with the request's CR4 (PSE or PAE) and CR3,
 * does one 32-bit read or write at req->va, and turns paging off again. Returns what it read.
 * The tables must identity-map this code, the stack and *req.
 */
#include "layout.h"

#define REQ_CR3   0
#define REQ_CR4   4
#define REQ_VA    8
#define REQ_WRITE 12
#define REQ_VALUE 16

    .text
    .code32
    .globl paging32_access
paging32_access:
    push %ebx
    mov 8(%esp), %ebx
    mov REQ_CR4(%ebx), %eax
    mov %eax, %cr4
    mov REQ_CR3(%ebx), %eax
    mov %eax, %cr3
    mov %cr0, %eax
    or $CR0_PG, %eax
    mov %eax, %cr0
    mov REQ_VA(%ebx), %ecx
    xor %eax, %eax
    cmpl $0, REQ_WRITE(%ebx)
    jne 1f
    mov (%ecx), %eax
    jmp 2f
1:  mov REQ_VALUE(%ebx), %edx
    mov %edx, (%ecx)
2:  mov %eax, %ecx
    mov %cr0, %eax
    and $~CR0_PG, %eax
    mov %eax, %cr0
    mov %ecx, %eax
    pop %ebx
    ret

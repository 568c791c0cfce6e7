#!/bin/sh
# Regenerates decode_cases.inc, the differential test table for hv/x86/decode.c: instruction
# encodings in 16-, 32- and 64-bit code with their lengths as GNU objdump decodes them (64-bit
# with -M intel64, the vendor the decoder follows).
#
# Two sources: instructions written out for `as` (the ones the hypervisor intercepts or
# emulates, plus a spread of integer, x87, SSE, AVX and AVX-512 forms), and candidate byte
# strings from every opcode of every map with pseudo-random prefixes, ModRM, SIB, displacements
# and VEX/EVEX fields. Each candidate sits at its own label, so objdump resynchronises on every
# one; candidates objdump calls (bad) are dropped, and so are encodings the CPU treats
# differently from objdump (see cpu_disagrees) and UD0/UD1/UD2, which the decoder rejects as
# #UD (test_decode.c checks those by hand). The seed is fixed: reruns give the same table.
#
# Usage: tests/unit/data/gen_decode_cases.sh   (needs python3 and binutils)
set -eu
cd "$(dirname "$0")"
exec python3 - <<'PY'
import os, random, re, subprocess, tempfile

rng = random.Random(20240607)
MODES = (16, 32, 64)
AS = {16: ["as", "--32"], 32: ["as", "--32"], 64: ["as", "--64"]}
DIS = {16: "i8086", 32: "i386", 64: "x86-64,intel64"}
LEGACY = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]

PFXS = re.compile(r"^(26|2e|36|3e|64|65|66|67|f0|f2|f3|4[0-9a-f])*")


def cpu_disagrees(hexs, name):
    """Encodings objdump decodes differently from Intel and AMD processors."""
    pfx = PFXS.match(hexs).group(0)
    rest = hexs[len(pfx):]
    pfx = [pfx[i:i + 2] for i in range(0, len(pfx), 2)]
    if rest[:4] in ("0f24", "0f26", "0fa6", "0fa7"):
        return True     # MOV to/from test registers (386/486), VIA PadLock
    if rest[:2] == "9b" and len(rest) > 2:
        return True     # FWAIT is an instruction of its own, not part of the next
    if rest[:2] in ("c4", "c5", "62") and not name.startswith(("les", "lds", "bound")):
        return any(p in ("66", "f0", "f2", "f3") or p[0] == "4" for p in pfx)    # #UD before VEX
    return False


SYS32 = """
cpuid; rdmsr; wrmsr; hlt; vmmcall; vmcall; invlpga %eax,%ecx; vmrun %eax; vmload %eax
vmsave %eax; stgi; clgi; skinit %eax; rdtsc; rdtscp; pause; monitor; mwait; monitorx; mwaitx
in $0x60,%al; in $0x60,%ax; in $0x60,%eax; in (%dx),%al; in (%dx),%ax; in (%dx),%eax
out %al,$0x80; out %ax,$0x80; out %eax,$0x80; out %al,(%dx); out %ax,(%dx); out %eax,(%dx)
insb; insw; insl; outsb; outsw; outsl; rep insb; rep insw; rep insl; rep outsb; rep outsl
mov %cr0,%eax; mov %eax,%cr0; mov %cr2,%ebx; mov %cr3,%ecx; mov %edx,%cr4; mov %eax,%cr3
mov %dr0,%eax; mov %eax,%dr7; mov %dr6,%esi; mov %edi,%dr3
invd; wbinvd; xsetbv; xgetbv; vmlaunch; vmresume; vmxoff; vmptrld (%eax); vmclear (%ebx)
vmread %eax,%ebx; vmwrite %eax,%ebx; vmread %eax,(%ecx); invept (%eax),%ebx; invvpid (%eax),%ebx
vmfunc; sysenter; sysexit; lgdt (%eax); lidt 4(%ebx); sgdt (%ecx); sidt 0x100(%edx)
lldt %ax; ltr %ax; str %eax; sldt %eax; invlpg (%eax); invlpg 0x12345678; clts; lmsw %ax
smsw %eax; rdpmc; int3; int $0x80; int1; into; iret; iretw; lret; lret $8; ret $16; ret
enter $16,$1; leave; push $0x12345678; push $1; pushw $0x1234; clac; stac; encls; enclu
xend; xtest; rdpid %eax; rdrand %eax; rdseed %ecx; rdrand %ax; wbnoinvd; serialize
xsave (%eax); xrstor (%ebx); xsaveopt (%ecx); xsavec (%edx); xsaves (%esi); xrstors (%edi)
fxsave (%eax); fxrstor (%eax); ldmxcsr (%eax); stmxcsr 4(%eax); clflush (%eax); clflushopt (%eax)
clwb (%eax); prefetcht0 (%eax); prefetchw (%eax); prefetchnta 8(%eax); nopl 0(%eax,%eax,1)
nopw 0(%eax,%eax,1); endbr32; lfence; mfence; sfence; ud2; rsm; getsec; emms; femms
mov %eax,(%ebx); mov (%ebx),%eax; mov %al,(%ecx); mov (%ecx),%al; mov %ax,0x10(%edx)
mov %ax,(%edx); mov (%esi),%ax; mov %eax,0x12345678; mov 0x12345678,%eax; mov %al,0x1234
mov 0x1234,%ax; mov 0x1234,%al; mov %ax,0x1234; movb $0x12,(%eax); movw $0x1234,(%eax)
movl $0x12345678,0x10(%eax,%ebx,4); movl $1,-8(%ebp); movb $1,0x12345678
movzbl (%eax),%ebx; movzwl (%eax),%ebx; movsbl (%eax),%ebx; movswl 2(%eax),%ebx
movzbw (%eax),%bx; movsbw (%eax),%bx; movzbl %al,%ebx; movswl %ax,%ecx
mov (%esp),%eax; mov 4(%esp),%eax; mov (,%eax,8),%ecx; mov 0x1000(,%ecx,2),%edx
mov (%ebp),%eax; mov 0(%ebp,%eax),%eax; mov -8(%ebp),%eax; mov 0x100(%esp,%esi,1),%edi
mov 0x7f(%eax),%eax; mov -0x80(%eax),%eax; mov 0x80(%eax),%eax; mov (%eax,%ebp,2),%eax
mov %es,%eax; mov %ax,%ds; mov %ss,(%eax); mov (%eax),%fs; mov %gs:(%eax),%eax
mov %fs:0x10,%eax; mov %cs:(%ebx),%al; mov %es:(%edi),%ax
stosb; stosl; rep stosl; movsb; rep movsl; lodsb; lodsw; cmpsb; repne scasb; rep cmpsw
lock add %eax,(%ebx); lock cmpxchg %ecx,(%edx); lock xadd %eax,(%ecx); lock incl (%eax)
lock btsl $3,(%eax); xchg %eax,(%ebx); cmpxchg8b (%eax); lock cmpxchg8b (%esi); bswap %eax
bt $3,%eax; btl $3,(%eax); btc %eax,(%ebx); shld $4,%eax,(%ebx); shrd %cl,%eax,%ebx
imul $100,%eax,%ebx; imul $1000000,(%eax),%ebx; imul (%eax),%ebx; imul $-1,%ax,%bx
test $0x12,%al; testl $0x12345678,(%eax); testb $1,(%eax); testw $0x1234,(%eax)
test $0x1234,%ax; test $0x12345678,%eax; notl (%eax); negb %al; mull (%eax); divl %ecx
idivb (%ebx); aam; aad; aam $16; daa; das; aaa; aas; bound %eax,(%ebx); les (%eax),%ebx
lds 4(%eax),%ecx; lss (%eax),%esp; lfs (%eax),%ebx; lgs (%ebx),%eax; arpl %ax,(%ebx)
push %es; pop %ds; push %cs; push %ss; pop %ss; push %fs; pop %gs; pusha; popa; pushf; popf
ljmp $0x10,$0x1000; lcall $0x10,$0x1000; ljmp *(%eax); lcall *(%ebx); call *%eax
call *(%eax); jmp *%ecx; jmp *0x10(%eax); xlat; cbw; cwde; cwd; cdq; sahf; lahf; cmc
add $1,%al; add $0x12345678,%eax; add $1,%eax; addl $1,(%eax); addw $0x1234,(%eax)
sub $0x80,%ecx; and $-1,%ax; or $0x1234,%ax; xor %eax,%eax; cmpb $1,(%eax,%ebx,8)
shl %eax; shl $5,%eax; shlb $5,(%eax); sar %cl,%eax; rcl $1,%ebx; rorw $3,(%eax)
inc %eax; dec %ecx; incb (%eax); decw (%eax); incl (%eax); push %eax; pop %ebx
pushl (%eax); popl (%eax); lea 0x10(%eax,%ebx,2),%ecx; lea (%eax),%ax; cmove %eax,%ebx
sete %al; setne (%eax); cmovl (%eax),%ecx; xchg %eax,%ecx; nop; fwait; hlt
flds (%eax); fldl (%eax); fldt (%eax); fstp %st(1); fadd %st(2),%st; faddp; fnstsw %ax
fldcw (%eax); fnstcw (%eax); fxch; fld1; fldz; fsqrt; fsin; fcomip %st(1),%st; filds (%eax)
fistpll (%eax); fbld (%eax); fnsave (%eax); frstor (%eax); fnstenv (%eax); fninit
addps %xmm1,%xmm2; addps (%eax),%xmm0; movdqa (%eax),%xmm0; movdqu %xmm1,(%eax)
pshufd $0x1b,%xmm1,%xmm2; pshufw $1,%mm1,%mm2; psrlw $3,%xmm1; psllq $1,%mm0
cmpps $1,%xmm1,%xmm2; pinsrw $2,%eax,%xmm1; pextrw $1,%xmm1,%eax; shufps $0xe4,%xmm1,%xmm2
pshufb %xmm1,%xmm2; pblendvb %xmm0,%xmm1,%xmm2; pmovzxbw (%eax),%xmm1; ptest %xmm1,%xmm2
roundps $1,%xmm1,%xmm2; pextrb $1,%xmm1,%eax; palignr $3,%xmm1,%xmm2; pcmpistri $0,%xmm1,%xmm2
aesenc %xmm1,%xmm2; aeskeygenassist $1,%xmm1,%xmm2; pclmulqdq $0x11,%xmm1,%xmm2
sha1rnds4 $1,%xmm1,%xmm2; sha256rnds2 %xmm0,%xmm1,%xmm2; crc32b %al,%eax; crc32l (%eax),%ebx
popcnt %eax,%ebx; lzcnt %eax,%ebx; tzcnt (%eax),%ebx; movbe (%eax),%ebx; movnti %eax,(%ebx)
extrq $4,$8,%xmm1; insertq $4,$8,%xmm1,%xmm2; extrq %xmm1,%xmm2; movntss %xmm1,(%eax)
cvtsi2sd %eax,%xmm1; cvttss2si %xmm1,%eax; movd %eax,%mm1; movq %mm1,(%eax); paddb %mm1,%mm2
maskmovq %mm1,%mm2; pfadd %mm1,%mm2; pfrcp (%eax),%mm1; pi2fd 0x10(%eax),%mm3; pswapd %mm1,%mm2
andn %eax,%ebx,%ecx; bextr %eax,(%ebx),%ecx; pdep %eax,%ebx,%ecx; rorx $3,%eax,%ebx
shlx %eax,%ebx,%ecx; sarx %eax,(%ebx),%ecx; blsr %eax,%ebx; bzhi %eax,%ebx,%ecx; mulx %eax,%ebx,%ecx
vaddps %ymm1,%ymm2,%ymm3; vaddps (%eax),%xmm2,%xmm3; vpshufb %ymm1,%ymm2,%ymm3
vpermq $0x4e,%ymm1,%ymm2; vinsertf128 $1,%xmm1,%ymm2,%ymm3; vzeroupper; vzeroall
vpshufd $1,%ymm1,%ymm2; vpsrlw $3,%ymm1,%ymm2; vcmpps $1,%ymm1,%ymm2,%ymm3
vpinsrw $1,%eax,%xmm1,%xmm2; vpextrw $1,%xmm1,%eax; vshufps $1,%ymm1,%ymm2,%ymm3
vfmadd231ps %ymm1,%ymm2,%ymm3; vfmadd132sd (%eax),%xmm1,%xmm2; vcvtph2ps %xmm1,%ymm2
vgatherdps %ymm1,(%eax,%ymm2,4),%ymm3; vpgatherqq %xmm1,0x10(%eax,%xmm2,8),%xmm3
vbroadcastss (%eax),%ymm1; vmaskmovps (%eax),%ymm1,%ymm2; vpblendd $1,%ymm1,%ymm2,%ymm3
vldmxcsr (%eax); vstmxcsr (%eax); vmovdqu %ymm1,(%eax); vmovd %eax,%xmm1; vpextrd $1,%xmm1,(%eax)
vaesenc %ymm1,%ymm2,%ymm3; vpclmulqdq $1,%ymm1,%ymm2,%ymm3; vgf2p8affineqb $1,%ymm1,%ymm2,%ymm3
vaddps %zmm1,%zmm2,%zmm3; vaddps %zmm1,%zmm2,%zmm3{%k1}{z}; vaddps 0x40(%eax),%zmm2,%zmm3
vaddps 0x44(%eax),%zmm2,%zmm3; vaddps (%eax){1to16},%zmm2,%zmm3; vaddps {rn-sae},%zmm1,%zmm2,%zmm3
vpgatherdd (%eax,%zmm1,4),%zmm2{%k1}; vscatterdps %zmm1,(%eax,%zmm2,4){%k1}
vpermt2d %zmm1,%zmm2,%zmm3; vpternlogd $0xff,%zmm1,%zmm2,%zmm3; vcmpps $1,%zmm1,%zmm2,%k1
vpshufd $1,%zmm1,%zmm2{%k2}; vpsrld $3,(%eax),%zmm2; vextracti32x4 $1,%zmm1,(%eax)
vfpclassps $1,%zmm1,%k1; vpcompressd %zmm1,(%eax){%k1}; vpmovqb %zmm1,(%eax); vpopcntd %zmm1,%zmm2
vaddph %zmm1,%zmm2,%zmm3; vaddsh %xmm1,%xmm2,%xmm3; vfmadd231ph (%eax),%zmm2,%zmm3
vcvtsh2ss %xmm1,%xmm2,%xmm3; vmovw %eax,%xmm1; vcmpph $1,%zmm1,%zmm2,%k1; vrndscaleph $1,%zmm1,%zmm2
kmovw %k1,%eax; kandw %k1,%k2,%k3; kmovq (%eax),%k1; kshiftlw $3,%k1,%k2; kortestw %k1,%k2
vpdpbusd %zmm1,%zmm2,%zmm3; vpdpbusd %ymm1,%ymm2,%ymm3; vcvtne2ps2bf16 %zmm1,%zmm2,%zmm3
"""

SYS16 = """
mov (%bx,%si),%ax; mov (%bx,%di),%ax; mov (%bp,%si),%ax; mov (%bp,%di),%ax; mov (%si),%ax
mov (%di),%ax; mov (%bp),%ax; mov (%bx),%ax; mov 0x10(%bx,%si),%ax; mov 0x1234(%bp,%di),%al
mov -2(%bp),%ax; mov %al,0x7f(%di); mov %ax,0x1234; mov 0x1234,%ax; mov 0x1234,%al; mov %al,0x12
mov %eax,(%bx); mov (%bx,%si),%eax; movw $0x1234,(%bx); movb $1,0x10(%bp,%si)
movl $0x12345678,(%bx); movzbw (%bx),%ax; movzwl (%bp,%di),%eax; movsbw 1(%si),%dx
mov (%eax),%ax; mov 0x12345678,%eax; addr32 mov 0x12345678,%ax; mov (%esp,%eax,4),%bx
mov %es:(%di),%ax; mov %cr0,%eax; mov %eax,%cr3; lgdt (%bx); lidt (%si); ljmp $0x8,$0x1000
ljmpl $0x8,$0x12345678; lcall $0x10,$0x20; call *(%bx); jmp *%ax; push $0x1234; push $0x12345678
in (%dx),%al; in (%dx),%ax; out %ax,(%dx); outsw; rep insw; int $0x10; iret; lret
vmrun %ax; vmload %ax; vmsave %ax; invlpga %ax,%ecx; skinit %eax; vmmcall; cpuid; rdmsr
"""

SYS64 = """
cpuid; rdmsr; wrmsr; hlt; vmmcall; vmcall; invlpga %rax,%ecx; vmrun %rax; vmload %rax
vmsave %rax; stgi; clgi; skinit %eax; rdtsc; rdtscp; pause; monitor %rax,%ecx,%edx; mwait
in $0x60,%al; in $0x60,%eax; in (%dx),%ax; out %al,$0x80; out %eax,(%dx); insb; insl; outsw
rep insb; rep outsl; rep insw; mov %cr0,%rax; mov %rax,%cr0; mov %cr3,%r8; mov %r9,%cr4
mov %cr8,%rax; mov %rax,%cr8; mov %cr8,%r15; mov %dr7,%rax; mov %r10,%dr0; mov %dr6,%rsi
invd; wbinvd; xsetbv; xgetbv; vmlaunch; vmresume; vmxoff; vmptrld (%rax); vmread %rax,%rbx
vmwrite (%r8),%rbx; invept (%rax),%r12; invvpid (%r8),%rbx; swapgs; syscall; sysret; sysretq
sysenter; sysexit; lgdt (%rax); lidt 4(%rbx); sgdt (%r8); lldt %ax; ltr %r8w; str %rax
invlpg (%rax); invlpg (%r13); clts; lmsw %ax; rdpmc; iretq; iret; lretq; ret; ret $8
enter $16,$1; leave; push $0x12345678; push $1; pushw $0x1234; push %r12; pop %r13; pushq (%rax)
pushf; popf; pushw %ax; popw (%rax); call *%rax; call *(%rax); jmp *%r11; jmp *8(%r12)
lcall *(%rax); ljmp *(%rax); rex64 ljmp *(%rax); xbegin .+0x20; xabort $1; xend; xtest
rdfsbase %rax; wrgsbase %rbx; rdfsbase %eax; rdpid %rax; rdrand %r8; rdseed %rax; rdpkru; wrpkru
xsave64 (%rax); xrstor64 (%r8); fxsave64 (%rax); cmpxchg16b (%rax); lock cmpxchg16b (%r9)
clflush (%rip); prefetchw 0x100(%rip); nopw 0x0(%rax,%rax,1); endbr64; uiret; clui; stui
mov %rax,(%r8); mov (%r12),%r13; mov 0x10(%r13),%rax; mov (%r13),%rax; mov 0x100(%rip),%eax
movb $1,0x10(%rip); movq $-1,0x12345678(%rip); mov %r8b,(%rax); mov %sil,(%rax); mov (%rax),%dil
mov %ah,(%rax); mov (%rax),%bh; mov %r15w,(%r15); mov (%rsp),%rax; mov (%r12),%eax
mov 0(%rbp),%rax; mov 0(%r13,%r14,8),%r15; mov (,%r9,2),%rax; mov 0x12345678,%eax
mov (%eax),%eax; mov (%r8d),%r9; mov 0x10(%esp,%r10d,4),%rcx; addr32 mov 0x10(%eip),%eax
movabs $0x1122334455667788,%rax; movabs $0x1122334455667788,%r15; mov $0x12345678,%r9d
mov $0x12345678,%r9; mov $-1,%rax; movabs 0x1122334455667788,%al; movabs 0x1122334455667788,%ax
movabs 0x1122334455667788,%eax; movabs 0x1122334455667788,%rax; movabs %al,0x1122334455667788
movabs %rax,0x1122334455667788; addr32 mov 0x12345678,%eax; addr32 mov %al,0x12345678
movq $0x12345678,(%rax); movw $0x1234,(%r8); movb $0x12,(%r9); movl $1,-8(%rbp)
movzbq (%rax),%rbx; movzwq (%r8),%r9; movsbq (%rax),%rbx; movswq (%rax),%r10; movslq (%rax),%rbx
movsbw (%rax),%ax; movzbl %r8b,%eax; movzbl %ah,%eax; movsbl %sil,%edi
lock add %rax,(%rbx); lock cmpxchg %rcx,(%rdx); xchg %r8,(%rax); lock xaddq %rax,(%r10)
imul $100,%rax,%rbx; imul $1000000,(%rax),%r8; test $0x12345678,%rax; testq $1,(%rax)
add $0x12345678,%rax; add $1,%r8; addq $1,(%rax); and $-1,%r12; cmpb $1,(%rax,%rbx,8)
stosq; rep stosq; movsq; rep movsb; lodsq; scasq; cmpsq; rep cmpsb; repne scasb
shl %rax; shlq $5,(%r8); sar %cl,%r9; inc %rax; decl (%rax); incb %r8b; bswap %r8; bswap %rax
movsxd (%rax),%rax; movslq %eax,%rbx; xchg %rax,%r8; xchg %eax,%eax; nop
addps %xmm9,%xmm10; movdqa (%r8),%xmm12; pshufd $0x1b,%xmm13,%xmm2; movq %rax,%xmm1
movq %xmm1,%rax; pinsrq $1,%rax,%xmm1; pextrq $1,%xmm1,%r8; cvtsi2sdq %rax,%xmm1
aesenc %xmm9,%xmm10; pclmulqdq $0x11,(%rip),%xmm2; crc32q %rax,%rbx; popcnt %rax,%rbx
pfadd %mm1,%mm2; pfmul (%rax),%mm1; femms; emms
andn %rax,%rbx,%rcx; bextr %r8,(%r9),%r10; rorx $3,%rax,%rbx; shlx %r8,%r9,%r10; pdep %rax,%rbx,%rcx
vaddps %ymm9,%ymm10,%ymm11; vaddps (%r8),%xmm2,%xmm13; vpermq $0x4e,%ymm1,%ymm12
vzeroupper; vzeroall; vmovdqu %ymm8,(%r9,%r10,4); vpinsrq $1,%rax,%xmm1,%xmm2; vmovq %xmm1,%rax
vgatherdps %ymm9,(%r8,%ymm10,4),%ymm11; vfmadd231ps 0x100(%rip),%ymm2,%ymm3
vaddps %zmm17,%zmm18,%zmm19; vaddps %zmm1,%zmm2,%zmm31{%k7}{z}; vaddps 0x40(%r8),%zmm2,%zmm3
vaddps 0x44(%rax),%zmm2,%zmm3; vaddps 0x40(%rip),%zmm2,%zmm3; vaddps (%rax){1to16},%zmm2,%zmm3
vpgatherdd (%r8,%zmm17,4),%zmm2{%k1}; vscatterqpd %zmm1,(%rax,%zmm25,8){%k1}
vpternlogq $0xff,%zmm1,%zmm2,%zmm3; vcmppd $1,%zmm1,%zmm2,%k1; vpshufd $1,%zmm21,%zmm22{%k2}
vmovdqu64 (%rax),%zmm1; vmovdqu8 %zmm1,0x1000(%rax); vextracti64x4 $1,%zmm1,(%r8)
vaddph %zmm1,%zmm2,%zmm3; vaddsh %xmm17,%xmm2,%xmm3; vfmadd231ph (%rax),%zmm2,%zmm3
vcvtsh2ss %xmm1,%xmm2,%xmm3; vmovw %eax,%xmm1; vmovw %xmm1,(%rax); vcmpph $1,%zmm1,%zmm2,%k1
kmovq %k1,%rax; kmovq %rax,%k1; kandq %k1,%k2,%k3; kshiftlq $3,%k1,%k2
ldtilecfg (%rax); sttilecfg (%rax); tilerelease; tilezero %tmm0; tileloadd (%rax,%rbx,1),%tmm1
tdpbssd %tmm1,%tmm2,%tmm3; vpdpbusd %zmm1,%zmm2,%zmm3; vpmadd52luq %zmm1,%zmm2,%zmm3
senduipi %rax; enqcmd (%rax),%rbx; movdir64b (%rax),%rbx; movdiri %rax,(%rbx); serialize
"""


def words(text):
    return [i.strip() for l in text.strip().splitlines() for i in l.split(";") if i.strip()]


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        raise SystemExit("%s failed:\n%s" % (" ".join(cmd), p.stderr))
    return p.stdout


LINE = re.compile(r"^\s*[0-9a-f]+:\t([0-9a-f ]+?)\s*\t(.*)$")
LABEL = re.compile(r"^[0-9a-f]+ <(c\d+)>:$")
PREFIX_ONLY = re.compile(r"^(rex(\.[WRXB]+)?|data16|data32|addr16|addr32|lock|repz?|repn?z|repne|"
                         r"rep|[cdefgs]s|bnd|notrack|xacquire|xrelease|\{.*\})$")


def disassemble(tmp, mode, source):
    src, obj = os.path.join(tmp, "x.s"), os.path.join(tmp, "x.o")
    with open(src, "w") as f:
        f.write((".code16\n" if mode == 16 else "") + source)
    run(AS[mode] + ["-o", obj, src])
    return run(["objdump", "-d", "-z", "--insn-width=16", "-M", DIS[mode], obj]).splitlines()


def mnemonic(text):
    """The first word that is not a prefix: "" when objdump printed a lone prefix."""
    for w in text.split("#")[0].split():
        if not PREFIX_ONLY.match(w):
            return w
    return ""


def usable(hexs, text):
    # "(bad)" for an invalid opcode, "...{bad}" for an invalid operand form
    if "bad}" in text or "(bad)" in text or mnemonic(text) in ("", "ud0", "ud1", "ud2"):
        return False
    return not cpu_disagrees(hexs, mnemonic(text))


def from_mnemonics(tmp, mode, lines):
    """Every instruction of an assembled listing."""
    out = []
    for line in disassemble(tmp, mode, "".join(l + "\n" for l in lines)):
        m = LINE.match(line)
        if m and usable(m.group(1).replace(" ", ""), m.group(2)):
            out.append((m.group(1).replace(" ", ""), mnemonic(m.group(2))))
    return out


def from_candidates(tmp, mode, cands):
    """The first instruction of each candidate byte string, each at its own label."""
    src = "".join("c%d: .byte %s\n" % (i, ",".join(str(b) for b in c)) for i, c in enumerate(cands))
    out, want = [], None
    for line in disassemble(tmp, mode, src):
        lm = LABEL.match(line)
        if lm:
            want = int(lm.group(1)[1:])
            continue
        m = LINE.match(line)
        if m and want is not None:
            hexs = m.group(1).replace(" ", "")
            want = None
            if usable(hexs, m.group(2)):
                out.append((hexs, mnemonic(m.group(2))))
    return out


def tail(n=14):
    return [rng.randrange(256) for _ in range(n)]


def prefixes(mode, most=2, rex=True):
    p = [rng.choice(LEGACY) for _ in range(rng.randrange(most + 1))]
    if mode == 64 and rex and rng.random() < 0.4:
        p.append(0x40 | rng.randrange(16))
    return p


def pad(c):
    return (c + tail(16))[:16]


def candidates(mode):
    c = []
    for op in range(256):
        if op in LEGACY or op == 0x0f or (mode == 64 and op & 0xf0 == 0x40):
            continue
        for _ in range(5):
            c.append(pad(prefixes(mode, 1) + [op]))
        c.append(pad([0x66] + [op]))
        c.append(pad([0x67] + [op]))
    for op in range(256):
        if op in (0x38, 0x3a):
            continue
        for _ in range(5):
            c.append(pad(prefixes(mode, 1) + [0x0f, op]))
    for esc in (0x38, 0x3a):
        for op in range(256):
            for mp in ([], [0x66], [0xf2], [0xf3], [0x66, 0xf2]):
                c.append(pad(prefixes(mode, 0) + mp + [0x0f, esc, op]))
    for suffix in (0x0c, 0x0d, 0x1c, 0x1d, 0x8a, 0x8e, 0x90, 0x94, 0x96, 0x97, 0x9a, 0x9e, 0xa0,
                   0xa4, 0xa6, 0xa7, 0xaa, 0xae, 0xb0, 0xb4, 0xb6, 0xb7, 0xbb, 0xbf):
        for _ in range(3):
            modrm = rng.randrange(256)
            disp = tail(6)[:rng.randrange(7)]
            c.append(pad(prefixes(mode, 1) + [0x0f, 0x0f, modrm] + disp + [suffix]))
    c += vex_candidates(mode) + evex_candidates(mode)
    for _ in range(600):   # long prefix runs, REX in odd places
        choices = LEGACY + ([0x40 | rng.randrange(16)] if mode == 64 else [])
        p = [rng.choice(choices) for _ in range(rng.randrange(2, 9))]
        c.append(pad(p + [rng.choice([0x89, 0x8b, 0xc7, 0xb8, 0xa1, 0xe8, 0x0f, 0xf7, 0x69])]))
    return c


def vex_candidates(mode):
    """Every VEX map, opcode and pp, with random R/X/B/W/vvvv/L, ModRM and the rest."""
    c = []
    top = 0xc0 if mode != 64 else 0
    for mm in (1, 2, 3):
        for op in range(256):
            for pp in (0, 1, 2, 3) * 2:
                p1 = (rng.randrange(256) & 0xfc) | pp | rng.choice((0, 0x78))   # vvvv 1111 or not
                if mm == 1 and rng.random() < 0.3:
                    c.append(pad([0xc5, p1 | top, op]))
                else:
                    c.append(pad([0xc4, (rng.randrange(256) & 0xe0) | top | mm, p1, op]))
    return c


def evex_candidates(mode):
    """Every EVEX map, opcode and pp, with random register fields, W, L'L, b, z and aaa."""
    c = []
    top = 0xc0 if mode != 64 else 0
    for mm in (1, 2, 3, 5, 6):
        for op in range(256):
            for pp in (0, 1, 2, 3) * 2:
                p0 = (rng.randrange(256) & 0xf0) | top | mm
                p1 = (rng.randrange(256) & 0xf8) | 0x04 | pp | rng.choice((0, 0x78))
                p2 = rng.randrange(256) & rng.choice((0x0f, 0x6f, 0xff)) | rng.choice((0, 0x08))
                c.append(pad([0x62, p0, p1, p2, op]))
    return c


def main():
    cases = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in MODES:
            mn = {16: words(SYS32) + words(SYS16), 32: words(SYS32), 64: words(SYS64)}[mode]
            found = from_mnemonics(tmp, mode, mn) + from_candidates(tmp, mode, candidates(mode))
            for hexs, name in found:
                cases.setdefault((mode, hexs), name)
    with open("decode_cases.inc", "w") as f:
        f.write("/* Generated by gen_decode_cases.sh: { mode, bytes (hex), objdump's mnemonic }. "
                "The length is the byte count. */\n")
        for (mode, hexs), name in sorted(cases.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            f.write('{ %d, "%s", "%s" },\n' % (mode, hexs, name))
    print("%d cases" % len(cases))


main()
PY

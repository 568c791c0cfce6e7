/* Result slots (32-bit each) that realmode.S fills in and main.c checks. */
#ifndef REALMODE_RM_H
#define REALMODE_RM_H

#define RM_MUL_LO           0   /* 0x1234 * 0x0100 in DX:AX */
#define RM_MUL_HI           1
#define RM_ADD_WRAP         2   /* 0xffff + 1 in AX: 16-bit operand size */
#define RM_ADD_CARRY        3   /* CF after it */
#define RM_SEG_READ         4   /* a word written through ES:0x1010, read through FS:0x0010 */
#define RM_FAR_CS           5   /* CS inside a routine reached by a far call to segment 0x1001 */
#define RM_FAR_RET_CS       6   /* the caller's CS that the far call pushed */
#define RM_FAR_DONE         7   /* set after the far return */
#define RM_FLAGS            8   /* FLAGS read back after POPF set CF and DF */
#define RM_PUSHF_SIZE       9   /* bytes PUSHF moved SP by */
#define RM_INT_IP           10  /* return IP, CS, FLAGS that INT 0x80 pushed */
#define RM_INT_CS           11
#define RM_INT_FLAGS        12
#define RM_INT_DONE         13  /* the handler ran and IRET came back */
#define RM_FLAGS_BEFORE_INT 14
#define RM_CR0_REAL         15
#define RM_CR0_PROT         16
#define RM_PUSH_SIZE_PROT   17  /* bytes a PUSH moved ESP by in 32-bit code */
#define RM_EFER_LONG        18
#define RM_PUSH_SIZE_LONG   19
#define RM_LONG_LO          20  /* a 64-bit rotate only long mode can do */
#define RM_LONG_HI          21
#define RM_CR0_BACK         22
#define RM_EFER_BACK        23
#define RM_PUSH_SIZE_BACK   24
#define RM_SEG_READ_BACK    25
#define RM_INT_DONE_BACK    26
#define RM_DONE             27
#define RM_NR_SLOTS         28

#define RM_SEG_LINEAR       0x5010  /* free low RAM: below the start info, above the IVT */
#define RM_INT_VECTOR       0x80

#endif

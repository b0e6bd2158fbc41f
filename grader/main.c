#include <stdio.h>
#include "grade_config.h"
int main(void) { printf("grade %s\n", GRADE_VERSION); return 0; }
